package dlkit.layers;

import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Applies an activation function on its own; JSON type {@code "Activation"} as in Keras. */
public final class ActivationLayer implements Layer {
    public record Config(@Nullable String name, @NonNull Activation activation) {
        public Config {
            if (activation == null) {
                throw new IllegalArgumentException("activation: expected an activation name such as \"relu\"");
            }
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Activation", Config.class, new Config(null, Activation.LINEAR), Set.of("activation"), ActivationLayer::new);

    private final Config config;

    public ActivationLayer(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull ActivationLayer of(@NonNull Activation activation) {
        return new ActivationLayer(new Config(null, activation));
    }

    @Override
    public String type() {
        return "Activation";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public ActivationLayer named(String name) {
        return new ActivationLayer(new Config(name, config.activation()));
    }

    @Override
    public MaskRule maskRule() {
        return MaskRule.PASS;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Activation outputActivation() {
        return config.activation();
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Activation act = config.activation();
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
