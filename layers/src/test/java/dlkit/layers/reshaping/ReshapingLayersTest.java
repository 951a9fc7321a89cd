package dlkit.layers.reshaping;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.LayerTestKit;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Flatten, Reshape, padding, cropping and upsampling through the shared layer test, and bilinear upsampling against known values. */
class ReshapingLayersTest {
    @Test
    void flattenAndReshape() {
        LayerTestKit.run(Flatten.of(), Shape.of(2, 3), new Expect(Shape.of(6), 0, false));
        LayerTestKit.run(Reshape.of(3, -1), Shape.of(6), new Expect(Shape.of(3, 2), 0, false));
        LayerTestKit.run(Reshape.of(2, 3), Shape.of(3, 2), new Expect(Shape.of(2, 3), 0, false));
    }

    @Test
    void paddingCroppingUpsampling() {
        LayerTestKit.run(ZeroPadding2D.of(1, 2, 0, 1), Shape.of(3, 2, 2), new Expect(Shape.of(6, 3, 2), 0, false));
        LayerTestKit.run(Cropping2D.of(1, 0, 1, 2), Shape.of(4, 5, 2), new Expect(Shape.of(3, 2, 2), 0, false));
        LayerTestKit.run(UpSampling2D.of(2, 3), Shape.of(2, 2, 2), new Expect(Shape.of(4, 6, 2), 0, false));
        LayerTestKit.run(UpSampling2D.of(2, 3).interpolation("bilinear"), Shape.of(3, 2, 2), new Expect(Shape.of(6, 6, 2), 0, false));
    }

    @Test
    void bilinearUpsamplingInterpolatesBetweenPixelCentres() {
        // One row [a, b] doubled: half-pixel centres give a, ¾a+¼b, ¼a+¾b, b (Keras' image.resize, bilinear).
        float[] y = LayerTestKit.predict(UpSampling2D.of(1, 2).interpolation("bilinear"), Shape.of(1, 2, 1), new float[] {4, 8});
        assertArrayEquals(new float[] {4, 5, 7, 8}, y, 1e-6f);
        // Tripled: sources at −1/3, 0, 1/3, 2/3, 1, 4/3 clamp to the edges.
        y = LayerTestKit.predict(UpSampling2D.of(1, 3).interpolation("bilinear"), Shape.of(1, 2, 1), new float[] {3, 9});
        assertArrayEquals(new float[] {3, 3, 5, 7, 9, 9}, y, 1e-5f);
        assertThrows(IllegalArgumentException.class, () -> UpSampling2D.of(2).interpolation("bicubic"));
    }
}
