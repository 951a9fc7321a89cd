package dlkit.layers.preprocessing;

import dlkit.tensor.Shape;
import org.jspecify.annotations.NonNull;

/** Samples a preprocessing layer adapts to (an in-memory data set, {@code dlkit.data.ArrayDataset}). */
public interface Samples {
    /** The shape of one sample, without the batch axis. */
    @NonNull Shape featureShape();

    int count();

    /** Sample {@code i}'s values, row-major. */
    float @NonNull [] features(int i);
}
