package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Global average pooling: each channel of a sequence [steps, channels] reduced to one value (see {@link GlobalPooling}). */
public final class GlobalAveragePooling1D extends GlobalPooling<GlobalAveragePooling1D> {
    public static final LayerType<Config, Builder, GlobalAveragePooling1D> TYPE = new LayerType<>("GlobalAveragePooling1D", Builder::new, Set.of(), GlobalAveragePooling1D::new);

    public GlobalAveragePooling1D(@NonNull Config config) {
        super(TYPE, config, false, false);
    }

    public static @NonNull GlobalAveragePooling1D of() {
        return new GlobalAveragePooling1D(new Builder().build());
    }
}
