package dlkit.layers.core;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.ElementwiseLayer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Buf;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Applies an activation function on its own; JSON type {@code "Activation"} as in Keras. */
public final class ActivationLayer extends ElementwiseLayer<ActivationLayer.Config, ActivationLayer.Builder, ActivationLayer> {
    public record Config(@Nullable String name, @NonNull Activation activation) implements LayerConfig {
        public Config {
            if (activation == null) {
                throw new IllegalArgumentException("activation: expected an activation name such as \"relu\"");
            }
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Activation activation = Activation.LINEAR;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, ActivationLayer> TYPE = new LayerType<>("Activation", Builder::new, Set.of("activation"), ActivationLayer::new);

    public ActivationLayer(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull ActivationLayer of(@NonNull Activation activation) {
        return new ActivationLayer(new Config(null, activation));
    }

    @Override
    public Activation outputActivation() {
        return config().activation();
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Activation act = config().activation();
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int width = ctx.outputShape().last();
        int rowsPerSample = ctx.outputShape().size() / width;
        boolean fused = ctx.lossFused();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                act.forward(x, y, n * rowsPerSample, width);
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                if (fused) {
                    dx.copyFrom(dy, 0, 0, n * rowsPerSample * width);
                } else {
                    act.backward(x, y, dy, dx, n * rowsPerSample, width);
                }
            }
        };
    }
}
