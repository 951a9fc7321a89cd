package dlkit.layers;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ShapeException;
import dlkit.layers.convolution.Conv1D;
import dlkit.layers.core.Dense;
import dlkit.layers.core.Embedding;
import dlkit.layers.recurrent.Bidirectional;
import dlkit.layers.recurrent.GRU;
import dlkit.layers.recurrent.LSTM;
import dlkit.layers.recurrent.SimpleRNN;
import dlkit.layers.recurrent.TimeDistributed;
import dlkit.layers.regularization.Dropout;
import dlkit.layers.reshaping.Reshape;
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
    void embeddingFeedsAnLstmAndChecksIds() {
        LayerTestKit.roundTrip(Embedding.of(7, 3));
        var m = new dlkit.model.Sequential("emb", java.util.List.of(Input.of(5), Embedding.of(7, 3).embeddingsRegularizer(Regularizer.l2(0.01)),
                LSTM.of(2), Dense.of(2).activation(Activation.SOFTMAX)), dlkit.tensor.DType.FLOAT64);
        m.compile(dlkit.optim.Sgd.of(), dlkit.loss.Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        m.initialize(2);
        double[] ids = {0, 3, 6, 6, 1, 2, 2, 5, 0, 4, 1, 1, 1, 3, 6};
        double loss = m.computeGradients(org.nd4j.linalg.factory.Nd4j.create(ids, new long[] {3, 5}), org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 1}, new long[] {3}));
        assertTrue(loss > 0);
        double[] grad = m.getGradients().get("embedding.embeddings").data().asDouble();
        // finite differences on every embedding weight, through the LSTM
        var w = m.getWeights();
        double[] e = w.get("embedding.embeddings").data().asDouble();
        for (int i = 0; i < e.length; i++) {
            double[] up = e.clone();
            up[i] += 1e-6;
            double[] down = e.clone();
            down[i] -= 1e-6;
            w.put("embedding.embeddings", org.nd4j.linalg.factory.Nd4j.create(up, new long[] {7, 3}));
            m.setWeights(w);
            double lu = m.computeGradients(org.nd4j.linalg.factory.Nd4j.create(ids, new long[] {3, 5}), org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 1}, new long[] {3}));
            w.put("embedding.embeddings", org.nd4j.linalg.factory.Nd4j.create(down, new long[] {7, 3}));
            m.setWeights(w);
            double ld = m.computeGradients(org.nd4j.linalg.factory.Nd4j.create(ids, new long[] {3, 5}), org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 1}, new long[] {3}));
            double numeric = (lu - ld) / 2e-6;
            org.junit.jupiter.api.Assertions.assertEquals(numeric, grad[i], 1e-7 + 1e-5 * Math.abs(numeric), "embeddings[" + i + "]");
        }
        dlkit.DlkitException bad = assertThrows(dlkit.DlkitException.class, () -> m.predict(org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 7, 2, 3}, new long[] {1, 5})));
        assertTrue(bad.getMessage().contains("'embedding'") && bad.getMessage().contains("token id 7.0") && bad.getMessage().contains("step 2"), bad.getMessage());
    }

    @Test
    void wrappers() {
        LayerTestKit.run(Bidirectional.of(LSTM.of(2)), Shape.of(4, 3), new Expect(Shape.of(4), 2 * 4 * (3 * 2 + 2 * 2 + 2), false));
        LayerTestKit.run(Bidirectional.of(GRU.of(2).returnSequences(true)).mergeMode("mul"), Shape.of(4, 3), new Expect(Shape.of(4, 2), 2 * 3 * (3 * 2 + 2 * 2 + 2 * 2), false));
        LayerTestKit.run(Bidirectional.of(SimpleRNN.of(3).returnSequences(true)).mergeMode("ave"), Shape.of(3, 2), new Expect(Shape.of(3, 3), 2 * (2 * 3 + 3 * 3 + 3), false));
        LayerTestKit.run(TimeDistributed.of(Conv1D.of(2, 2).activation(Activation.TANH)), Shape.of(3, 4, 2), new Expect(Shape.of(3, 3, 2), 2 * 2 * 2 + 2, false));
        LayerTestKit.run(TimeDistributed.of(Dropout.of(0.5)), Shape.of(3, 4), new Expect(Shape.of(3, 4), 0, true));
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
