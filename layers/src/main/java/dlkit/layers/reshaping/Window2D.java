package dlkit.layers.reshaping;

import dlkit.layers.internal.Sizes;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.List;
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
    static List<List<Integer>> margins(String key, @Nullable List<List<Integer>> v) {
        if (v == null || v.size() != 2 || Sizes.hasNull(v) || v.get(0).size() != 2 || v.get(1).size() != 2) {
            throw new IllegalArgumentException(key + ": expected [[top, bottom], [left, right]], got " + v);
        }
        for (List<Integer> pair : v) {
            if (Sizes.hasNull(pair) || pair.get(0) < 0 || pair.get(1) < 0) {
                throw new IllegalArgumentException(key + ": expected non-negative integers, got " + v);
            }
        }
        return List.of(List.copyOf(v.get(0)), List.copyOf(v.get(1)));
    }

    /** {@code [[top, bottom], [left, right]]}. */
    static List<List<Integer>> margins(int top, int bottom, int left, int right) {
        return List.of(List.of(top, bottom), List.of(left, right));
    }
}
