package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Global max pooling: each channel of an image [height, width, channels] reduced to one value (see {@link GlobalPooling}). */
public final class GlobalMaxPooling2D extends GlobalPooling<GlobalMaxPooling2D> {
    public static final LayerType<Config, Builder, GlobalMaxPooling2D> TYPE = new LayerType<>("GlobalMaxPooling2D", Builder::new, Set.of(), GlobalMaxPooling2D::new);

    public GlobalMaxPooling2D(@NonNull Config config) {
        super(TYPE, config, true, true);
    }

    public static @NonNull GlobalMaxPooling2D of() {
        return new GlobalMaxPooling2D(new Builder().build());
    }
}
