package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/**
 * Average pooling over channels-last images (see {@link Pooling2D} for the settings); same-padded windows average
 * only the real pixels, as Keras does.
 */
public final class AveragePooling2D extends Pooling2D<AveragePooling2D> {
    public static final LayerType<Config, Builder, AveragePooling2D> TYPE = new LayerType<>("AveragePooling2D", Builder::new, Set.of(), AveragePooling2D::new);

    public AveragePooling2D(@NonNull Config config) {
        super(TYPE, config, false);
    }

    public static @NonNull AveragePooling2D of(int poolSize) {
        return new AveragePooling2D(square(poolSize));
    }
}
