package dlkit.layers.regularization;

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

/**
 * Inverted dropout: in training each element is zeroed with probability {@code rate} and the rest scaled by
 * 1/(1−rate); at inference it is the identity. The mask is a pure function of (seed, step, element) (see
 * {@link CounterRandom}).
 */
public final class Dropout extends ElementwiseLayer<Dropout.Config, Dropout.Builder, Dropout> {
    public record Config(@Nullable String name, double rate, @Nullable Long seed) implements LayerConfig {
        public Config {
            if (!(rate >= 0 && rate < 1)) {
                throw new IllegalArgumentException("rate: expected a number in [0, 1), got " + rate);
            }
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public double rate = 0.5;
        public @Nullable Long seed;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Dropout> TYPE = new LayerType<>("Dropout", Builder::new, Set.of("rate"), Dropout::new);

    public Dropout(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Dropout of(double rate) {
        return new Dropout(new Config(null, rate, null));
    }

    public @NonNull Dropout seed(@Nullable Long seed) {
        return change(b -> b.seed = seed);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        Buf mask = ctx.scratch(ctx.inputShape().size());
        int width = ctx.inputShape().size();
        double rate = config().rate();
        double keep = 1 / (1 - rate);
        long seed = CounterRandom.seed(config().seed(), ctx);
        return new Kernel() {
            private boolean masked;

            @Override
            public void forward(int n, boolean training, long step) {
                int count = n * width;
                masked = training && rate > 0;
                if (!masked) {
                    y.copyFrom(x, 0, 0, count);
                    return;
                }
                long base = CounterRandom.stepBase(seed, step, 0x9E3779B97F4A7C15L);
                for (int i = 0; i < count; i++) {
                    double u = CounterRandom.uniform(base, i);
                    double m = u >= rate ? keep : 0;
                    mask.set(i, m);
                    y.set(i, x.get(i) * m);
                }
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                int count = n * width;
                if (!masked) {
                    dx.copyFrom(dy, 0, 0, count);
                    return;
                }
                for (int i = 0; i < count; i++) {
                    dx.set(i, dy.get(i) * mask.get(i));
                }
            }
        };
    }
}
