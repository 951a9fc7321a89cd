package dlkit.data;

import org.jspecify.annotations.NonNull;

/** One batch for a streaming dataset: {@code n} samples, row-major features and labels. */
public record Batch(float @NonNull [] x, float @NonNull [] y, int n) {
    public Batch {
        if (n < 0) {
            throw new IllegalArgumentException("batch size must be >= 0, got " + n);
        }
    }
}
