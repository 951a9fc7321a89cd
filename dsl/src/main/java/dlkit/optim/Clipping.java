package dlkit.optim;

import org.jspecify.annotations.Nullable;

/**
 * Keras' gradient clipping, applied before the update: {@code clipnorm} rescales each weight's gradient to at most
 * that L2 norm, {@code global_clipnorm} all gradients together, {@code clipvalue} clamps every element.
 */
public record Clipping(@Nullable Double clipnorm, @Nullable Double clipvalue, @Nullable Double globalClipnorm) {
    public static final Clipping NONE = new Clipping(null, null, null);

    public Clipping {
        check("clipnorm", clipnorm);
        check("clipvalue", clipvalue);
        check("global_clipnorm", globalClipnorm);
        if (clipnorm != null && globalClipnorm != null) {
            throw new IllegalArgumentException("clipnorm and global_clipnorm cannot both be set");
        }
    }

    private static void check(String key, @Nullable Double v) {
        if (v != null && !(v > 0 && v < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(key + ": expected a positive number, got " + v);
        }
    }

    public boolean active() {
        return clipnorm != null || clipvalue != null || globalClipnorm != null;
    }

    /** Clips {@code g} in place; {@code slots} are the [offset, length] ranges of the individual weights. */
    public void apply(float @org.jspecify.annotations.NonNull [] g, int n, int @org.jspecify.annotations.NonNull [] @org.jspecify.annotations.NonNull [] slots) {
        if (clipvalue != null) {
            float c = clipvalue.floatValue();
            for (int i = 0; i < n; i++) {
                g[i] = Math.max(-c, Math.min(c, g[i]));
            }
        }
        if (clipnorm != null) {
            for (int[] s : slots) {
                scaleToNorm(g, s[0], s[1], clipnorm);
            }
        }
        if (globalClipnorm != null) {
            scaleToNorm(g, 0, n, globalClipnorm);
        }
    }

    private static void scaleToNorm(float[] g, int from, int len, double max) {
        double sq = 0;
        for (int i = from; i < from + len; i++) {
            sq += (double) g[i] * g[i];
        }
        double norm = Math.sqrt(sq);
        if (norm > max) {
            float s = (float) (max / norm);
            for (int i = from; i < from + len; i++) {
                g[i] *= s;
            }
        }
    }
}
