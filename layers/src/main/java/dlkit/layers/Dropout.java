package dlkit.layers;

import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Inverted dropout: in training each element is zeroed with probability {@code rate} and the rest scaled by
 * 1/(1−rate); at inference it is the identity. The mask is a pure function of (seed, step, element), so runs are
 * reproducible and a resumed run draws the same masks as an uninterrupted one.
 */
public final class Dropout implements Layer {
    public record Config(@Nullable String name, double rate, @Nullable Long seed) {
        public Config {
            if (!(rate >= 0 && rate < 1)) {
                throw new IllegalArgumentException("rate: expected a number in [0, 1), got " + rate);
            }
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Dropout", Config.class, new Config(null, 0.5, null), Set.of("rate"), Dropout::new);

    private final Config config;

    public Dropout(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Dropout of(double rate) {
        return new Dropout(new Config(null, rate, null));
    }

    public @NonNull Dropout seed(@Nullable Long seed) {
        return new Dropout(new Config(config.name(), config.rate(), seed));
    }

    @Override
    public String type() {
        return "Dropout";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Dropout named(String name) {
        return new Dropout(new Config(name, config.rate(), config.seed()));
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
        Buf mask = ctx.scratch(ctx.inputShape().size());
        int width = ctx.inputShape().size();
        double rate = config.rate();
        double keep = 1 / (1 - rate);
        long seed = config.seed() != null ? config.seed() : ctx.seed();
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
                long base = mix(seed ^ mix(step + 0x9E3779B97F4A7C15L));
                for (int i = 0; i < count; i++) {
                    double u = (mix(base + i) >>> 11) * 0x1.0p-53;
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

    /** SplitMix64's finaliser: a counter-based generator that needs no state to resume. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
