package dlkit.layers;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ShapeException;
import dlkit.model.LayerTestKit;
import dlkit.model.LayerTestKit.Expect;
import dlkit.model.Sequential;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** SimpleRNN, LSTM and GRU through the shared layer test: float64 finite-difference checks of backpropagation through time. */
class RecurrentLayersTest {
    @Test
    void simpleRnn() {
        LayerTestKit.run(SimpleRNN.of(4), Shape.of(5, 3), new Expect(Shape.of(4), 3 * 4 + 4 * 4 + 4, false));
        LayerTestKit.run(SimpleRNN.of(3).returnSequences(true).activation(Activation.RELU), Shape.of(4, 2), new Expect(Shape.of(4, 3), 2 * 3 + 3 * 3 + 3, false));
    }

    @Test
    void lstm() {
        LayerTestKit.run(LSTM.of(3), Shape.of(5, 2), new Expect(Shape.of(3), 4 * (2 * 3 + 3 * 3 + 3), false));
        LayerTestKit.run(LSTM.of(2).returnSequences(true).goBackwards(true), Shape.of(4, 3), new Expect(Shape.of(4, 2), 4 * (3 * 2 + 2 * 2 + 2), false));
        LayerTestKit.run(LSTM.of(3).dropout(0.3).recurrentDropout(0.4).useBias(false).recurrentRegularizer(Regularizer.l2(0.01)), Shape.of(4, 3),
                new Expect(Shape.of(3), 4 * (3 * 3 + 3 * 3), true));
    }

    @Test
    void gru() {
        LayerTestKit.run(GRU.of(3), Shape.of(5, 2), new Expect(Shape.of(3), 3 * (2 * 3 + 3 * 3 + 2 * 3), false));
        LayerTestKit.run(GRU.of(2).returnSequences(true).goBackwards(true).recurrentDropout(0.3), Shape.of(4, 3),
                new Expect(Shape.of(4, 2), 3 * (3 * 2 + 2 * 2 + 2 * 2), true));
    }

    @Test
    void badInputNamesLayerAndShape() {
        ShapeException e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(28), LSTM.of(8)));
        assertTrue(e.getMessage().contains("'lstm'") && e.getMessage().contains("[steps, features]") && e.getMessage().contains("[28]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(28, 28, 1), GRU.of(8)));
        assertTrue(e.getMessage().contains("Reshape"), e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> LSTM.of(4).activation(Activation.SOFTMAX));
        assertTrue(a.getMessage().startsWith("activation:"), a.getMessage());
    }
}
