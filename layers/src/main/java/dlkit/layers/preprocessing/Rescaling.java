package dlkit.layers.preprocessing;

import dlkit.layers.ConfigBuilder;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * {@code y = x · scale + offset} (Keras' Rescaling): pixels 0–255 become [0, 1] with {@code scale} 1/255, or [−1, 1]
 * with 1/127.5 and offset −1. A run config's {@code "normalize": "scale"} puts one at the model's input.
 */
public final class Rescaling extends Preprocessing<Rescaling.Config, Rescaling.Builder, Rescaling> {
    public record Config(@Nullable String name, double scale, double offset) implements LayerConfig {
        public Config {
            if (!Double.isFinite(scale) || !Double.isFinite(offset)) {
                throw new IllegalArgumentException("scale: expected finite scale and offset, got " + scale + " and " + offset);
            }
        }
    }

    /** Keras' defaults: scale is required, offset 0. */
    public static final class Builder extends ConfigBuilder<Config> {
        public double scale = 1;
        public double offset;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Rescaling> TYPE = new LayerType<>("Rescaling", Builder::new, Set.of("scale"), Rescaling::new);

    private final float scale32;
    private final float offset32;

    public Rescaling(@NonNull Config config) {
        super(TYPE, config);
        this.scale32 = (float) config.scale();
        this.offset32 = (float) config.offset();
    }

    public static @NonNull Rescaling of(double scale) {
        return TYPE.with(b -> b.scale = scale);
    }

    public static @NonNull Rescaling of(double scale, double offset) {
        return TYPE.with(b -> {
            b.scale = scale;
            b.offset = offset;
        });
    }

    /**
     * The rescaling that maps the smallest and largest value in {@code data} to 0 and 1 (a run config's
     * {@code "normalize": "scale"}; statistics from the training split only). Identity for constant data.
     */
    public static @NonNull Rescaling fitRange(@NonNull Samples data) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < data.count(); i++) {
            for (float v : data.features(i)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (!(hi > lo)) {
            return of(1);
        }
        double scale = 1 / (hi - lo);
        return of(scale, lo == 0 ? 0 : -lo * scale);
    }

    @Override
    int @Nullable [] statistics(Shape shape) {
        return null;
    }

    @Override
    float apply(float x, int s) {
        return x * scale32 + offset32;
    }

    @Override
    double apply(double x, int s) {
        return x * config().scale() + config().offset();
    }

    @Override
    double slope(int s) {
        return config().scale();
    }
}
