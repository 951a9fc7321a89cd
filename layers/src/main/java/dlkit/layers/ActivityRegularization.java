package dlkit.layers;

import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Passes its input through unchanged and, in training, adds {@code l1·Σ|y| + l2·Σy²} over the batch to the loss
 * (Keras' ActivityRegularization; as in Keras 3 the sum is not divided by the batch size). After a Dense encoder it
 * makes a sparse autoencoder.
 */
public final class ActivityRegularization implements Layer {
    public record Config(@Nullable String name, double l1, double l2) {
        public Config {
            // Same checks as a weight regularizer.
            new Regularizer(l1, l2);
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "ActivityRegularization", Config.class, new Config(null, 0, 0), Set.of(), ActivityRegularization::new);

    private final Config config;

    public ActivityRegularization(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull ActivityRegularization of(double l1, double l2) {
        return new ActivityRegularization(new Config(null, l1, l2));
    }

    @Override
    public String type() {
        return "ActivityRegularization";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public ActivityRegularization named(String name) {
        return new ActivityRegularization(new Config(name, config.l1(), config.l2()));
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
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int width = ctx.inputShape().size();
        Regularizer reg = new Regularizer(config.l1(), config.l2());
        return new Kernel() {
            private double penalty;

            @Override
            public void forward(int n, boolean training, long step) {
                y.copyFrom(x, 0, 0, n * width);
                penalty = training ? reg.penalty(y, n * width) : 0;
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                dx.copyFrom(dy, 0, 0, n * width);
                reg.addGradient(y, dx, n * width);
            }

            @Override
            public double penalty() {
                return penalty;
            }
        };
    }
}
