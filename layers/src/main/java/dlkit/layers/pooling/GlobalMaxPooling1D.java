package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Global max pooling: each channel of a sequence [steps, channels] reduced to one value (see {@link GlobalPooling}). */
public final class GlobalMaxPooling1D extends GlobalPooling<GlobalMaxPooling1D> {
    public static final LayerType<Config, Builder, GlobalMaxPooling1D> TYPE = new LayerType<>("GlobalMaxPooling1D", Builder::new, Set.of(), GlobalMaxPooling1D::new);

    public GlobalMaxPooling1D(@NonNull Config config) {
        super(TYPE, config, true, false);
    }

    public static @NonNull GlobalMaxPooling1D of() {
        return new GlobalMaxPooling1D(new Builder().build());
    }
}
