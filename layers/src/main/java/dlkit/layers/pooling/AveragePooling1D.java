package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Average pooling over sequences {@code [steps, channels]} (see {@link Pooling1D} for the settings). */
public final class AveragePooling1D extends Pooling1D<AveragePooling1D> {
    public static final LayerType<Config, Builder, AveragePooling1D> TYPE = new LayerType<>("AveragePooling1D", Builder::new, Set.of(),
            AveragePooling1D::new);

    public AveragePooling1D(@NonNull Config config) {
        super(TYPE, config, false);
    }

    public static @NonNull AveragePooling1D of(int poolSize) {
        return new AveragePooling1D(ofSize(poolSize));
    }
}
