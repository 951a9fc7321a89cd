package dlkit.layers.normalization;



import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.LayerTestKit;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** BatchNormalization through the shared layer test (its moving statistics against Keras' rule: LayersInModelsTest). */
class BatchNormalizationTest {
    @Test
    void batchNormalization() {
        LayerTestKit.run(BatchNormalization.of(), Shape.of(3, 2, 4), new Expect(Shape.of(3, 2, 4), 4 * 4, true));
        LayerTestKit.run(BatchNormalization.of().momentum(0.5).scale(false), Shape.of(5), new Expect(Shape.of(5), 3 * 5, true));
        LayerTestKit.run(BatchNormalization.of().axis(1).center(false), Shape.of(3, 4, 2), new Expect(Shape.of(3, 4, 2), 3 * 3, true));
    }
}
