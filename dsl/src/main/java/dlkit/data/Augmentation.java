package dlkit.data;

import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;

/**
 * On-the-fly image augmentation of training batches, channels-last {@code [height, width]} or
 * {@code [height, width, channels]}: random horizontal/vertical flips, shifts (a fraction of the size), rotations
 * (degrees, bilinear) and random erasing (Zhong et al. 2017: a rectangle of 2–33% of the image, aspect 0.3–3.3, set to
 * 0). Pixels from outside the image repeat the nearest edge. Every draw is a function of (seed, step, sample), so a
 * run is reproducible and a resumed run sees the same augmented batches as an uninterrupted one.
 */
public record Augmentation(boolean horizontalFlip, boolean verticalFlip, double shift, double rotation, double erasing) {
    public Augmentation {
        if (!(shift >= 0 && shift < 1)) {
            throw new IllegalArgumentException("shift: expected a fraction of the image size in [0, 1), got " + shift);
        }
        if (!(rotation >= 0 && rotation <= 180)) {
            throw new IllegalArgumentException("rotation: expected degrees in [0, 180], got " + rotation);
        }
        if (!(erasing >= 0 && erasing <= 1)) {
            throw new IllegalArgumentException("random_erasing: expected a probability in [0, 1], got " + erasing);
        }
    }

    public static final Augmentation NONE = new Augmentation(false, false, 0, 0, 0);

    public static @NonNull Augmentation none() {
        return NONE;
    }

    public @NonNull Augmentation withHorizontalFlip(boolean v) {
        return new Augmentation(v, verticalFlip, shift, rotation, erasing);
    }

    public @NonNull Augmentation withVerticalFlip(boolean v) {
        return new Augmentation(horizontalFlip, v, shift, rotation, erasing);
    }

    public @NonNull Augmentation withShift(double fraction) {
        return new Augmentation(horizontalFlip, verticalFlip, fraction, rotation, erasing);
    }

    public @NonNull Augmentation withRotation(double degrees) {
        return new Augmentation(horizontalFlip, verticalFlip, shift, degrees, erasing);
    }

    public @NonNull Augmentation withRandomErasing(double probability) {
        return new Augmentation(horizontalFlip, verticalFlip, shift, rotation, probability);
    }

    public boolean isNone() {
        return !horizontalFlip && !verticalFlip && shift == 0 && rotation == 0 && erasing == 0;
    }

    /** The sample shape as {height, width, channels}, or an exception naming what an image input looks like. */
    public static int @NonNull [] imageDims(@NonNull Shape s) {
        if (s.rank() == 2) {
            return new int[] {s.dim(0), s.dim(1), 1};
        }
        if (s.rank() == 3) {
            return new int[] {s.dim(0), s.dim(1), s.dim(2)};
        }
        throw new IllegalArgumentException("augmentation needs image samples [height, width] or [height, width, channels]; the model's input is " + s);
    }

    /** Augments rows {@code [0, n)} of {@code x} in place; {@code step} is the optimizer step of this batch. */
    public void apply(@NonNull Buf x, int n, @NonNull Shape sampleShape, long seed, long step) {
        int[] d = imageDims(sampleShape);
        int size = d[0] * d[1] * d[2];
        float[] in = new float[size];
        float[] out = new float[size];
        for (int r = 0; r < n; r++) {
            x.get(r * size, in, 0, size);
            SplittableRandom rng = new SplittableRandom(mix(seed ^ mix(step * 0x9E3779B97F4A7C15L + r)));
            augment(in, out, d[0], d[1], d[2], rng);
            x.put(r * size, out, 0, size);
        }
    }

    void augment(float[] in, float[] out, int h, int w, int c, SplittableRandom rng) {
        // Draws in a fixed order, so adding an option never changes what the others draw.
        boolean flipH = horizontalFlip && rng.nextBoolean();
        boolean flipV = verticalFlip && rng.nextBoolean();
        double dy = shift > 0 ? rng.nextDouble(-shift, shift) * h : 0;
        double dx = shift > 0 ? rng.nextDouble(-shift, shift) * w : 0;
        double angle = rotation > 0 ? Math.toRadians(rng.nextDouble(-rotation, rotation)) : 0;
        boolean erase = erasing > 0 && rng.nextDouble() < erasing;
        transform(in, out, h, w, c, flipH, flipV, Math.round(dy), Math.round(dx), angle);
        if (erase) {
            erase(out, h, w, c, rng);
        }
    }

    /**
     * out(y, x) = in(source of (y, x)): the inverse of flip, then rotation by {@code angle} about the centre, then an
     * integer shift; bilinear between pixels, edges repeated.
     */
    static void transform(float[] in, float[] out, int h, int w, int c, boolean flipH, boolean flipV, long dy, long dx, double angle) {
        double cy = (h - 1) / 2.0;
        double cx = (w - 1) / 2.0;
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        boolean exact = angle == 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double sy = y - dy - cy;
                double sx = x - dx - cx;
                double ry = exact ? sy : cos * sy - sin * sx;
                double rx = exact ? sx : sin * sy + cos * sx;
                ry += cy;
                rx += cx;
                if (flipV) {
                    ry = h - 1 - ry;
                }
                if (flipH) {
                    rx = w - 1 - rx;
                }
                int o = (y * w + x) * c;
                if (exact) {
                    int iy = clamp((int) Math.round(ry), h);
                    int ix = clamp((int) Math.round(rx), w);
                    System.arraycopy(in, (iy * w + ix) * c, out, o, c);
                    continue;
                }
                int y0 = (int) Math.floor(ry);
                int x0 = (int) Math.floor(rx);
                double fy = ry - y0;
                double fx = rx - x0;
                int a = (clamp(y0, h) * w + clamp(x0, w)) * c;
                int b = (clamp(y0, h) * w + clamp(x0 + 1, w)) * c;
                int e = (clamp(y0 + 1, h) * w + clamp(x0, w)) * c;
                int f = (clamp(y0 + 1, h) * w + clamp(x0 + 1, w)) * c;
                for (int k = 0; k < c; k++) {
                    out[o + k] = (float) ((1 - fy) * ((1 - fx) * in[a + k] + fx * in[b + k]) + fy * ((1 - fx) * in[e + k] + fx * in[f + k]));
                }
            }
        }
    }

    static void erase(float[] img, int h, int w, int c, SplittableRandom rng) {
        // As the paper: retry until the rectangle fits (bounded here; small images may not fit at all).
        for (int attempt = 0; attempt < 10; attempt++) {
            double area = rng.nextDouble(0.02, 0.33) * h * w;
            double aspect = Math.exp(rng.nextDouble(Math.log(0.3), Math.log(3.3)));
            int eh = (int) Math.round(Math.sqrt(area * aspect));
            int ew = (int) Math.round(Math.sqrt(area / aspect));
            if (eh < 1 || ew < 1 || eh >= h || ew >= w) {
                continue;
            }
            int y0 = rng.nextInt(h - eh + 1);
            int x0 = rng.nextInt(w - ew + 1);
            for (int y = y0; y < y0 + eh; y++) {
                java.util.Arrays.fill(img, (y * w + x0) * c, (y * w + x0 + ew) * c, 0f);
            }
            return;
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int clamp(int v, int n) {
        return v < 0 ? 0 : v >= n ? n - 1 : v;
    }
}
