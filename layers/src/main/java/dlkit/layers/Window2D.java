package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * A {@code small} image placed in a {@code large} one at (top, left), channels-last: ZeroPadding2D writes the small
 * one into the large, Cropping2D reads it out. Rows are contiguous, so each is one bulk copy.
 */
record Window2D(Shape large, Shape small, int top, int left) {
    /** {@code toSmall}: copy the window out of {@code src} (large) into {@code dst} (small); otherwise the reverse. */
    void copy(int n, Buf src, Buf dst, boolean toSmall) {
        int lw = large.dim(1);
        int ch = large.dim(2);
        int sh = small.dim(0);
        int sw = small.dim(1);
        int row = sw * ch;
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < sh; i++) {
                int l = b * large.size() + ((i + top) * lw + left) * ch;
                int s = b * small.size() + i * row;
                if (toSmall) {
                    dst.copyFrom(src, l, s, row);
                } else {
                    dst.copyFrom(src, s, l, row);
                }
            }
        }
    }

    /** Keras' {@code ((top, bottom), (left, right))}; a single pair per axis or one number is not accepted here. */
    static int[][] margins(String key, int[][] v) {
        if (v == null || v.length != 2 || v[0] == null || v[1] == null || v[0].length != 2 || v[1].length != 2) {
            throw new IllegalArgumentException(key + ": expected [[top, bottom], [left, right]], got " + Arrays.deepToString(v));
        }
        for (int[] pair : v) {
            if (pair[0] < 0 || pair[1] < 0) {
                throw new IllegalArgumentException(key + ": expected non-negative integers, got " + Arrays.deepToString(v));
            }
        }
        return new int[][] {v[0].clone(), v[1].clone()};
    }

    static void checkFormat(String dataFormat) {
        if (!"channels_last".equals(dataFormat)) {
            throw new IllegalArgumentException("data_format: only \"channels_last\" is supported, got \"" + dataFormat + "\"");
        }
    }

    static void checkImage(String type, @Nullable String name, Shape input) {
        if (input.rank() != 3) {
            throw new ShapeException(type + " '" + name + "' expects samples shaped [height, width, channels], got " + input);
        }
    }
}
