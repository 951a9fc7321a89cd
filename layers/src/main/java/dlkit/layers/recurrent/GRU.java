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
 * Gated recurrent unit (Cho et al. 2014) with Keras' gate order {@code [z, r, h]} (see {@link RecurrentLayer} for
 * shapes and settings); weights {@code kernel [features, 3·units]} and {@code recurrent_kernel [units, 3·units]}. Two
 * variants, as in Keras: {@code reset_after} (the default, cuDNN's) applies the reset gate after the recurrent product,
 * {@code h = z·h_prev + (1 − z)·tanh(x·W_h + b_h + r·(h_prev·R_h + b_rh))} with {@code bias [2, 3·units]} (input and
 * recurrent biases); {@code reset_after=false} (Cho's original) before it, {@code tanh(x·W_h + b_h + (r·h_prev)·R_h)}
 * with {@code bias [3·units]}.
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

    /** {@code false}: the reset gate scales {@code h_prev} before the recurrent product (one bias vector). */
    public @NonNull GRU resetAfter(boolean on) {
        return change(b -> b.resetAfter = on);
    }

    @Override
    ParamSpec bias(int gates) {
        Config c = config();
        int[] shape = c.resetAfter() ? new int[] {2, gates} : new int[] {gates};
        return new ParamSpec("bias", shape, c.biasInitializer(), c.biasRegularizer());
    }
}
