package dlkit.layers.pooling;



import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.LayerTestKit;
import dlkit.layers.Padding;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Pooling layers through the shared layer test. */
class PoolingLayersTest {
    @Test
    void pooling() {
        LayerTestKit.run(MaxPooling2D.of(2), Shape.of(4, 6, 3), new Expect(Shape.of(2, 3, 3), 0, false));
        LayerTestKit.run(MaxPooling2D.of(3).strides(2, 2).padding(Padding.SAME), Shape.of(5, 5, 2), new Expect(Shape.of(3, 3, 2), 0, false));
        LayerTestKit.run(AveragePooling2D.of(2), Shape.of(4, 4, 2), new Expect(Shape.of(2, 2, 2), 0, false));
        LayerTestKit.run(AveragePooling2D.of(2).padding(Padding.SAME), Shape.of(5, 3, 2), new Expect(Shape.of(3, 2, 2), 0, false));
        LayerTestKit.run(GlobalAveragePooling2D.of(), Shape.of(3, 4, 2), new Expect(Shape.of(2), 0, false));
        LayerTestKit.run(GlobalMaxPooling2D.of(), Shape.of(3, 4, 2), new Expect(Shape.of(2), 0, false));
        LayerTestKit.run(GlobalAveragePooling2D.of().keepdims(true), Shape.of(3, 4, 2), new Expect(Shape.of(1, 1, 2), 0, false));
    }

    @Test
    void poolingOnOneDnnMatchesThePortablePath() {
        LayerTestKit.fastPathMatchesPortable(MaxPooling2D.of(2), Shape.of(4, 6, 3));
        LayerTestKit.fastPathMatchesPortable(MaxPooling2D.of(2), Shape.of(6, 6, 4), true); // ties: the first maximum wins
        LayerTestKit.fastPathMatchesPortable(MaxPooling2D.of(3).strides(2, 2).padding(Padding.SAME), Shape.of(5, 5, 2), true);
        LayerTestKit.fastPathMatchesPortable(MaxPooling2D.of(2), Shape.of(5, 7, 3));
        LayerTestKit.fastPathMatchesPortable(AveragePooling2D.of(2).padding(Padding.SAME), Shape.of(5, 3, 2));
        LayerTestKit.fastPathMatchesPortable(AveragePooling2D.of(3).strides(1, 2), Shape.of(6, 7, 5));
        LayerTestKit.fastPathMatchesPortable(MaxPooling1D.of(3).strides(2).padding(Padding.SAME), Shape.of(9, 4), true);
        LayerTestKit.fastPathMatchesPortable(GlobalAveragePooling2D.of(), Shape.of(5, 4, 6));
        LayerTestKit.fastPathMatchesPortable(GlobalMaxPooling2D.of().keepdims(true), Shape.of(3, 4, 2), true);
        LayerTestKit.fastPathMatchesPortable(GlobalAveragePooling1D.of(), Shape.of(7, 3));
        LayerTestKit.fastPathMatchesPortable(GlobalMaxPooling1D.of(), Shape.of(7, 3));
    }

    @Test
    void pooling1d() {
        LayerTestKit.run(MaxPooling1D.of(2), Shape.of(7, 3), new Expect(Shape.of(3, 3), 0, false));
        LayerTestKit.run(MaxPooling1D.of(3).strides(1).padding(Padding.SAME), Shape.of(5, 2), new Expect(Shape.of(5, 2), 0, false));
        LayerTestKit.run(AveragePooling1D.of(2).padding(Padding.SAME), Shape.of(5, 2), new Expect(Shape.of(3, 2), 0, false));
        LayerTestKit.run(GlobalAveragePooling1D.of(), Shape.of(5, 3), new Expect(Shape.of(3), 0, false));
        LayerTestKit.run(GlobalMaxPooling1D.of().keepdims(true), Shape.of(5, 3), new Expect(Shape.of(1, 3), 0, false));
    }
}
