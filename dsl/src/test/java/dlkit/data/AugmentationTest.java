package dlkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Flips, shifts, rotations and erasing move pixels where they should, and depend only on (seed, step, sample). */
class AugmentationTest {
    static float[] ramp(int h, int w, int c) {
        float[] img = new float[h * w * c];
        for (int i = 0; i < img.length; i++) {
            img[i] = i + 1;
        }
        return img;
    }

    static float at(float[] img, int w, int c, int y, int x, int k) {
        return img[(y * w + x) * c + k];
    }

    @Test
    void flipsShiftsAndQuarterTurnsArePixelExact() {
        int h = 5;
        int w = 7;
        int c = 2;
        float[] in = ramp(h, w, c);
        float[] out = new float[in.length];
        Augmentation.transform(in, out, h, w, c, true, false, 0, 0, 0);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                assertEquals(at(in, w, c, y, w - 1 - x, 1), at(out, w, c, y, x, 1), "horizontal flip");
            }
        }
        Augmentation.transform(in, out, h, w, c, false, true, 0, 0, 0);
        assertEquals(at(in, w, c, h - 1, 2, 0), at(out, w, c, 0, 2, 0), "vertical flip");
        // Shift right by 2 and down by 1: pixels move, the uncovered border repeats the edge.
        Augmentation.transform(in, out, h, w, c, false, false, 1, 2, 0);
        assertEquals(at(in, w, c, 2, 3, 0), at(out, w, c, 3, 5, 0));
        assertEquals(at(in, w, c, 0, 0, 1), at(out, w, c, 0, 1, 1), "edge repeated");
        // A quarter turn of a square image is a transpose and a flip, exactly (bilinear at whole pixels).
        int n = 5;
        float[] sq = ramp(n, n, 1);
        float[] rot = new float[sq.length];
        Augmentation.transform(sq, rot, n, n, 1, false, false, 0, 0, Math.PI / 2);
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                assertEquals(at(sq, n, 1, n - 1 - x, y, 0), at(rot, n, 1, y, x, 0), 1e-4, "rotated (" + y + "," + x + ")");
            }
        }
        // A half-pixel rotation blends neighbours: values stay within the image's range.
        Augmentation.transform(sq, rot, n, n, 1, false, false, 0, 0, Math.toRadians(10));
        for (float v : rot) {
            assertTrue(v >= 1 && v <= 25, "bilinear stays in range: " + v);
        }
    }

    @Test
    void randomErasingZeroesOneRectangleOfTwoToThirtyThreePercent() {
        int h = 28;
        int w = 28;
        for (int seed = 0; seed < 50; seed++) {
            float[] img = ramp(h, w, 1);
            Augmentation.erase(img, h, w, 1, new SplittableRandom(seed));
            int zeros = 0;
            int minY = h;
            int maxY = -1;
            int minX = w;
            int maxX = -1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (img[y * w + x] == 0) {
                        zeros++;
                        minY = Math.min(minY, y);
                        maxY = Math.max(maxY, y);
                        minX = Math.min(minX, x);
                        maxX = Math.max(maxX, x);
                    }
                }
            }
            assertEquals((maxY - minY + 1) * (maxX - minX + 1), zeros, "one filled rectangle");
            // Rounding the sides moves the area a little past the paper's bounds.
            assertTrue(zeros >= 0.015 * h * w && zeros <= 0.36 * h * w, "area " + zeros);
        }
    }

    @Test
    void fitAugmentsImagesAndRefusesOtherInputs() {
        SplittableRandom rng = new SplittableRandom(3);
        float[] x = new float[64 * 36];
        float[] y = new float[64];
        for (int i = 0; i < 64; i++) {
            y[i] = i % 2;
            for (int j = 0; j < 36; j++) {
                x[i * 36 + j] = (float) rng.nextGaussian() + (j % 6 < 3 ? y[i] : 0);
            }
        }
        ArrayDataset data = new ArrayDataset(x, Shape.of(6, 6), y, 1);
        Augmentation aug = Augmentation.none().withHorizontalFlip(true).withShift(0.1);
        float[][] w = new float[2][];
        for (int t = 0; t < 2; t++) {
            dlkit.model.Model m = dlkit.model.Sequential.of(dlkit.layers.Input.of(6, 6), dlkit.layers.reshaping.Flatten.of(),
                    dlkit.layers.core.Dense.of(2).activation(dlkit.layers.Activation.SOFTMAX));
            m.compile(dlkit.optim.Adam.of(0.01), dlkit.loss.Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            m.fit(data, dlkit.model.FitOptions.epochs(2).batchSize(16).seed(4).augmentation(t == 0 ? aug : Augmentation.none()));
            w[t] = m.getWeights().get("dense.kernel").data().asFloat();
        }
        assertFalse(java.util.Arrays.equals(w[0], w[1]), "augmented batches train differently");
        dlkit.model.Model flat = dlkit.model.Sequential.of(dlkit.layers.Input.of(36), dlkit.layers.core.Dense.of(2).activation(dlkit.layers.Activation.SOFTMAX));
        flat.compile(dlkit.optim.Adam.of(0.01), dlkit.loss.Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        ArrayDataset flatData = new ArrayDataset(x, Shape.of(36), y, 1);
        var e = assertThrows(dlkit.DlkitException.class, () -> flat.fit(flatData, dlkit.model.FitOptions.epochs(1).augmentation(aug)));
        assertTrue(e.getMessage().contains("[height, width]") && e.getMessage().contains("[36]"), e.getMessage());
    }

    @Test
    void batchesDependOnlyOnSeedStepAndSample() {
        Shape s = Shape.of(8, 8);
        Augmentation a = Augmentation.none().withHorizontalFlip(true).withShift(0.2).withRotation(15).withRandomErasing(0.5);
        float[][] results = new float[3][];
        long[] steps = {7, 7, 8};
        for (int t = 0; t < 3; t++) {
            Buf b = Buf.allocate(DType.FLOAT32, 4 * 64);
            float[] x = new float[4 * 64];
            for (int i = 0; i < x.length; i++) {
                x[i] = (i % 64) + 1;
            }
            b.put(0, x, 0, x.length);
            a.apply(b, 4, s, 42, steps[t]);
            results[t] = new float[x.length];
            b.get(0, results[t], 0, x.length);
        }
        assertArrayEquals(results[0], results[1], 0f);
        assertFalse(java.util.Arrays.equals(results[0], results[2]), "another step draws anew");
        assertFalse(java.util.Arrays.equals(java.util.Arrays.copyOfRange(results[0], 0, 64), java.util.Arrays.copyOfRange(results[0], 64, 128)),
                "each sample draws its own transform");
        assertThrows(IllegalArgumentException.class, () -> a.apply(Buf.allocate(DType.FLOAT32, 10), 1, Shape.of(10), 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.none().withRotation(200));
        assertThrows(IllegalArgumentException.class, () -> Augmentation.none().withShift(1.5));
    }
}
