package dlkit.layers.pooling;

import dlkit.layers.LayerType;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Max pooling over sequences {@code [steps, channels]} (see {@link Pooling1D} for the settings). */
public final class MaxPooling1D extends Pooling1D<MaxPooling1D> {
    public static final LayerType<Config, Builder, MaxPooling1D> TYPE = new LayerType<>("MaxPooling1D", Builder::new, Set.of(),
            MaxPooling1D::new);

    public MaxPooling1D(@NonNull Config config) {
        super(TYPE, config, true);
    }

    public static @NonNull MaxPooling1D of(int poolSize) {
        return new MaxPooling1D(ofSize(poolSize));
    }
}
