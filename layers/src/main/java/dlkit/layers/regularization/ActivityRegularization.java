package dlkit.layers.regularization;

import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.ElementwiseLayer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Regularizer;
import dlkit.tensor.Buf;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Passes its input through unchanged and, in training, adds {@code l1·Σ|y| + l2·Σy²} over the batch to the loss
 * (Keras' ActivityRegularization; as in Keras 3 the sum is not divided by the batch size). After a Dense encoder it
 * makes a sparse autoencoder.
 */
public final class ActivityRegularization extends ElementwiseLayer<ActivityRegularization.Config, ActivityRegularization.Builder,
        ActivityRegularization> {
    public record Config(@Nullable String name, double l1, double l2) implements LayerConfig {
        public Config {
            // Same checks as a weight regularizer.
            new Regularizer(l1, l2);
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public double l1;
        public double l2;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, ActivityRegularization> TYPE = new LayerType<>("ActivityRegularization", Builder::new, Set.of(), ActivityRegularization::new);

    public ActivityRegularization(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull ActivityRegularization of(double l1, double l2) {
        return new ActivityRegularization(new Config(null, l1, l2));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int width = ctx.inputShape().size();
        Regularizer reg = new Regularizer(config().l1(), config().l2());
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
