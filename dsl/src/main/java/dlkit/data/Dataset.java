package dlkit.data;

import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Iterator;
import java.util.function.Supplier;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Samples and labels for fit/evaluate. {@link ArrayDataset} holds everything in memory and shuffles with a seed;
 * {@link #fromBatches} streams batches from an iterator (read once per epoch, in order).
 */
public interface Dataset {
    @NonNull Shape featureShape();

    /** Label values per sample: 1 for class indices, the class count for one-hot labels, 0 for none (predict only). */
    int labelWidth();

    /** Number of samples, or -1 when unknown (streaming). */
    long size();

    /** A pass over the data in batches; {@code shuffle} with {@code seed} and {@code epoch} fixes the order. */
    @NonNull Cursor cursor(boolean shuffle, long seed, int epoch);

    /** Fills batches straight into the model's planned input buffer and a label array. */
    interface Cursor {
        /** Copies up to {@code maxRows} samples into {@code x} and their labels into {@code y}; returns 0 at the end. */
        int next(@NonNull Buf x, float @NonNull [] y, int maxRows);
    }

    /** Features {@code [N, ...]} and labels {@code [N]} (class indices) or {@code [N, k]}. */
    static @NonNull ArrayDataset of(@NonNull INDArray x, @NonNull INDArray y) {
        return ArrayDataset.of(x, y);
    }

    static @NonNull ArrayDataset of(float @NonNull [] @NonNull [] x, int @NonNull [] labels) {
        return ArrayDataset.of(x, labels);
    }

    /** A streaming dataset: {@code batches} is asked for a fresh iterator each epoch. */
    static @NonNull Dataset fromBatches(@NonNull Shape featureShape, int labelWidth, @NonNull Supplier<Iterator<Batch>> batches) {
        return new StreamingDataset(featureShape, labelWidth, batches);
    }
}
