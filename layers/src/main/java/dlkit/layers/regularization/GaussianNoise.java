package dlkit.layers.regularization;

import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Buf;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Adds zero-mean Gaussian noise with standard deviation {@code stddev} in training, nothing at inference (Keras'
 * GaussianNoise): a regulariser, and the corruption of a denoising autoencoder. Like {@link Dropout} the noise is a
 * pure function of (seed, step, element), so a resumed run draws the same noise.
 */
public final class GaussianNoise extends TrainingNoise<GaussianNoise.Config, GaussianNoise.Builder, GaussianNoise> {
    public record Config(@Nullable String name, double stddev, @Nullable Long seed) implements LayerConfig, Seeded {
        public Config {
            if (!(stddev >= 0) || Double.isInfinite(stddev)) {
                throw new IllegalArgumentException("stddev: expected a finite number >= 0, got " + stddev);
            }
        }
    }

    public static final class Builder extends TrainingNoise.Builder<Config> {
        public double stddev;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, GaussianNoise> TYPE = new LayerType<>("GaussianNoise", Builder::new, Set.of("stddev"), GaussianNoise::new);

    public GaussianNoise(@NonNull Config config) {
        super(TYPE, config, 0x632BE59BD9B4E019L, false);
    }

    public static @NonNull GaussianNoise of(double stddev) {
        return new GaussianNoise(new Config(null, stddev, null));
    }

    @Override
    boolean perturbs() {
        return config().stddev() > 0;
    }

    @Override
    void perturb(long stream, int count, Buf x, Buf y, @Nullable Buf mask) {
        double sd = config().stddev();
        for (int i = 0; i < count; i += 2) {
            // Box-Muller: two uniforms in (0, 1] give two independent normals.
            double u1 = uniform(stream, i) + 0x1.0p-53;
            double u2 = uniform(stream, i + 1);
            double r = sd * Math.sqrt(-2 * Math.log(u1));
            y.set(i, x.get(i) + r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < count) {
                y.set(i + 1, x.get(i + 1) + r * Math.sin(2 * Math.PI * u2));
            }
        }
    }
}
