package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Global average pooling: each channel of an image [height, width, channels] reduced to one value (see {@link GlobalPooling}). */
public final class GlobalAveragePooling2D extends GlobalPooling<GlobalAveragePooling2D> {
    public static final LayerType<Config, Builder, GlobalAveragePooling2D> TYPE = new LayerType<>("GlobalAveragePooling2D", Builder::new, Set.of(), GlobalAveragePooling2D::new);

    public GlobalAveragePooling2D(@NonNull Config config) {
        super(TYPE, config, false, true);
    }

    public static @NonNull GlobalAveragePooling2D of() {
        return new GlobalAveragePooling2D(new Builder().build());
    }
}
