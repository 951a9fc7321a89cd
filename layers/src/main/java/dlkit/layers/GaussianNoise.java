package dlkit.layers;

import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Adds zero-mean Gaussian noise with standard deviation {@code stddev} in training, nothing at inference (Keras'
 * GaussianNoise): a regulariser, and the corruption of a denoising autoencoder. Like {@link Dropout} the noise is a
 * pure function of (seed, step, element), so a resumed run draws the same noise.
 */
public final class GaussianNoise implements Layer {
    public record Config(@Nullable String name, double stddev, @Nullable Long seed) {
        public Config {
            if (!(stddev >= 0) || Double.isInfinite(stddev)) {
                throw new IllegalArgumentException("stddev: expected a finite number >= 0, got " + stddev);
            }
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "GaussianNoise", Config.class, new Config(null, 0, null), Set.of("stddev"), GaussianNoise::new);

    private final Config config;

    public GaussianNoise(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull GaussianNoise of(double stddev) {
        return new GaussianNoise(new Config(null, stddev, null));
    }

    public @NonNull GaussianNoise seed(@Nullable Long seed) {
        return new GaussianNoise(new Config(config.name(), config.stddev(), seed));
    }

    @Override
    public String type() {
        return "GaussianNoise";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public GaussianNoise named(String name) {
        return new GaussianNoise(new Config(name, config.stddev(), config.seed()));
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
        double sd = config.stddev();
        long seed = config.seed() != null ? config.seed() : ctx.seed();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                int count = n * width;
                if (!training || sd == 0) {
                    y.copyFrom(x, 0, 0, count);
                    return;
                }
                long base = Dropout.mix(seed ^ Dropout.mix(step + 0x632BE59BD9B4E019L));
                for (int i = 0; i < count; i += 2) {
                    // Box-Muller: two uniforms in (0, 1] give two independent normals.
                    double u1 = ((Dropout.mix(base + i) >>> 11) + 1) * 0x1.0p-53;
                    double u2 = (Dropout.mix(base + i + 1) >>> 11) * 0x1.0p-53;
                    double r = sd * Math.sqrt(-2 * Math.log(u1));
                    y.set(i, x.get(i) + r * Math.cos(2 * Math.PI * u2));
                    if (i + 1 < count) {
                        y.set(i + 1, x.get(i + 1) + r * Math.sin(2 * Math.PI * u2));
                    }
                }
            }

            @Override
            public void backward(int n) {
                // Additive noise: the gradient passes unchanged.
                if (dx != null) {
                    dx.copyFrom(dy, 0, 0, n * width);
                }
            }
        };
    }
}
