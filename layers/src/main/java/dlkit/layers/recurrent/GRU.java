package dlkit.layers.recurrent;

import dlkit.layers.Activation;
import dlkit.layers.Initializer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Gated recurrent unit (Cho et al. 2014), Keras' default {@code reset_after} variant with gate order {@code [z, r, h]}:
 * {@code h = z·h_prev + (1 − z)·tanh(x·W_h + b_h + r·(h_prev·R_h + b_rh))} (see {@link RecurrentLayer} for shapes and
 * settings); weights {@code kernel [features, 3·units]}, {@code recurrent_kernel [units, 3·units]}, {@code bias
 * [2, 3·units]} (input and recurrent biases).
 */
public final class GRU extends RecurrentLayer<GRU.Config, GRU.Builder, GRU> {
    public record Config(
            @Nullable String name,
            int units,
            @NonNull Activation activation,
            @NonNull Activation recurrentActivation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer recurrentInitializer,
            @NonNull Initializer biasInitializer,
            boolean resetAfter,
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
            check(units, activation, true, recurrentActivation, dropout, recurrentDropout, kernelInitializer, recurrentInitializer, biasInitializer);
            if (!resetAfter) {
                throw new IllegalArgumentException("reset_after: only true (Keras' default, the cuDNN-compatible variant) is supported");
            }
        }
    }

    /** Keras defaults: sigmoid gates, reset after the recurrent product. */
    public static final class Builder extends RecurrentLayer.Builder<Config> {
        public Activation recurrentActivation = Activation.SIGMOID;
        public boolean resetAfter = true;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, GRU> TYPE = new LayerType<>("GRU", Builder::new, Set.of("units"), GRU::new);

    public GRU(@NonNull Config config) {
        super(TYPE, config, RecurrentKernel.Cell.GRU);
    }

    public static @NonNull GRU of(int units) {
        return TYPE.with(b -> b.units = units);
    }

    @Override
    ParamSpec bias(int gates) {
        Config c = config();
        return new ParamSpec("bias", new int[] {2, gates}, c.biasInitializer(), c.biasRegularizer());
    }
}
