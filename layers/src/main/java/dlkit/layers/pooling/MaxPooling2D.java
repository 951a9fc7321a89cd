package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Max pooling over channels-last images (see {@link Pooling2D} for the settings). */
public final class MaxPooling2D extends Pooling2D<MaxPooling2D> {
    public static final LayerType<Config, Builder, MaxPooling2D> TYPE = new LayerType<>("MaxPooling2D", Builder::new, Set.of(),
            MaxPooling2D::new);

    public MaxPooling2D(@NonNull Config config) {
        super(TYPE, config, true);
    }

    public static @NonNull MaxPooling2D of(int poolSize) {
        return new MaxPooling2D(square(poolSize));
    }
}
