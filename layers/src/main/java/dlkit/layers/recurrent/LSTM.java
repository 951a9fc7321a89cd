package dlkit.layers.recurrent;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.Initializer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Long short-term memory (Hochreiter and Schmidhuber 1997) with Keras' gate order {@code [i, f, c, o]} (see
 * {@link RecurrentLayer} for shapes and settings); weights {@code kernel [features, 4·units]}, {@code recurrent_kernel
 * [units, 4·units]}, {@code bias [4·units]}, whose forget-gate block starts at one with {@code unit_forget_bias}.
 */
public final class LSTM extends RecurrentLayer<LSTM.Config, LSTM.Builder, LSTM> {
    public record Config(
            @Nullable String name,
            int units,
            @NonNull Activation activation,
            @NonNull Activation recurrentActivation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer recurrentInitializer,
            @NonNull Initializer biasInitializer,
            boolean unitForgetBias,
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

    /** Keras defaults: sigmoid gates, unit forget bias. */
    public static final class Builder extends RecurrentLayer.Builder<Config> {
        public Activation recurrentActivation = Activation.SIGMOID;
        public boolean unitForgetBias = true;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, LSTM> TYPE = new LayerType<>("LSTM", Builder::new, Set.of("units"), LSTM::new);

    public LSTM(@NonNull Config config) {
        super(TYPE, config, RecurrentKernel.Cell.LSTM);
    }

    public static @NonNull LSTM of(int units) {
        return TYPE.with(b -> b.units = units);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Float32Lstm.applies(ctx, config()) ? new Float32Lstm(ctx, config()) : super.compile(ctx);
    }

    @Override
    ParamSpec bias(int gates) {
        Config c = config();
        return new ParamSpec("bias", new int[] {gates}, c.unitForgetBias() ? new Initializer.UnitForgetBias(c.biasInitializer(), c.units())
                : c.biasInitializer(), c.biasRegularizer());
    }
}
