package dlkit.layers.regularization;

import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Buf;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Inverted dropout: in training each element is zeroed with probability {@code rate} and the rest scaled by
 * 1/(1−rate); at inference it is the identity. The mask is a pure function of (seed, step, element) (see
 * {@link TrainingNoise}).
 */
public final class Dropout extends TrainingNoise<Dropout.Config, Dropout.Builder, Dropout> {
    public record Config(@Nullable String name, double rate, @Nullable Long seed) implements LayerConfig, Seeded {
        public Config {
            if (!(rate >= 0 && rate < 1)) {
                throw new IllegalArgumentException("rate: expected a number in [0, 1), got " + rate);
            }
        }
    }

    public static final class Builder extends TrainingNoise.Builder<Config> {
        public double rate = 0.5;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Dropout> TYPE = new LayerType<>("Dropout", Builder::new, Set.of("rate"), Dropout::new);

    public Dropout(@NonNull Config config) {
        super(TYPE, config, 0x9E3779B97F4A7C15L, true);
    }

    public static @NonNull Dropout of(double rate) {
        return new Dropout(new Config(null, rate, null));
    }

    @Override
    boolean perturbs() {
        return config().rate() > 0;
    }

    @Override
    void perturb(long stream, int count, Buf x, Buf y, @Nullable Buf mask) {
        double rate = config().rate();
        double keep = 1 / (1 - rate);
        Buf factors = Objects.requireNonNull(mask, "dropout is multiplicative: it keeps a mask");
        for (int i = 0; i < count; i++) {
            double m = uniform(stream, i) >= rate ? keep : 0;
            factors.set(i, m);
            y.set(i, x.get(i) * m);
        }
    }
}
