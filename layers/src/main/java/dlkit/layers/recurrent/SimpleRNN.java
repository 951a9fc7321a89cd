package dlkit.layers.recurrent;

import dlkit.layers.Activation;
import dlkit.layers.Initializer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Regularizer;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Fully connected recurrence {@code h = activation(x·W + h_prev·R + b)} (see {@link RecurrentLayer} for shapes and
 * settings); weights {@code kernel [features, units]}, {@code recurrent_kernel [units, units]}, {@code bias [units]}.
 */
public final class SimpleRNN extends RecurrentLayer<SimpleRNN.Config, SimpleRNN.Builder, SimpleRNN> {
    public record Config(
            @Nullable String name,
            int units,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer recurrentInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer recurrentRegularizer,
            @Nullable Regularizer biasRegularizer,
            double dropout,
            double recurrentDropout,
            boolean returnSequences,
            boolean returnState,
            boolean goBackwards,
            boolean stateful,
            boolean unroll) implements Options, LayerConfig {
        public Config {
            check(units, activation, false, null, dropout, recurrentDropout, kernelInitializer, recurrentInitializer, biasInitializer);
        }
    }

    public static final class Builder extends RecurrentLayer.Builder<Config> {
        public Builder() {
            super(Config.class);
        }

    }

    public static final LayerType<Config, Builder, SimpleRNN> TYPE = new LayerType<>("SimpleRNN", Builder::new, Set.of("units"), SimpleRNN::new);

    public SimpleRNN(@NonNull Config config) {
        super(TYPE, config, RecurrentKernel.Cell.SIMPLE);
    }

    public static @NonNull SimpleRNN of(int units) {
        return TYPE.with(b -> b.units = units);
    }
}
