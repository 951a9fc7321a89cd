package dlkit.layers.recurrent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.layers.Activation;
import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.LayerTestKit;
import dlkit.layers.Regularizer;
import dlkit.layers.convolution.Conv1D;
import dlkit.layers.regularization.Dropout;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** SimpleRNN, LSTM, GRU and the wrappers through the shared layer test: float64 finite-difference checks of backpropagation through time. */
class RecurrentLayersTest {
    @Test
    void float32LstmMatchesThePortablePath() {
        LayerTestKit.fastPathMatchesPortable(LSTM.of(3), Shape.of(5, 2));
        LayerTestKit.fastPathMatchesPortable(LSTM.of(8).returnSequences(true), Shape.of(6, 5));
        LayerTestKit.fastPathMatchesPortable(LSTM.of(4).useBias(false).recurrentRegularizer(Regularizer.l2(0.01))
                .kernelRegularizer(Regularizer.l1(0.01)), Shape.of(4, 3));
        LayerTestKit.fastPathMatchesPortable(LSTM.of(5).goBackwards(true).returnSequences(true), Shape.of(4, 3));
        LayerTestKit.fastPathMatchesPortable(Bidirectional.of(LSTM.of(3).returnSequences(true)), Shape.of(5, 2));
    }

    @Test
    void float32LstmInTwoHalvesMatchesThePortablePath() {
        // 40 and 33 rows: the recurrence runs as two halves on two threads (an odd split for the remainder)
        LayerTestKit.fastPathMatchesPortable(LSTM.of(6), Shape.of(7, 3), false, 40, 33);
        LayerTestKit.fastPathMatchesPortable(LSTM.of(4).returnSequences(true).goBackwards(true), Shape.of(5, 2), false, 40, 33);
    }

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
        // reset_after=false: one bias vector, the reset gate inside the candidate's recurrent product
        LayerTestKit.run(GRU.of(3).resetAfter(false), Shape.of(5, 2), new Expect(Shape.of(3), 3 * (2 * 3 + 3 * 3 + 3), false));
        LayerTestKit.run(GRU.of(2).resetAfter(false).returnSequences(true).goBackwards(true).recurrentDropout(0.3).dropout(0.2), Shape.of(4, 3),
                new Expect(Shape.of(4, 2), 3 * (3 * 2 + 2 * 2 + 2), true));
        LayerTestKit.run(GRU.of(3).resetAfter(false).activation(Activation.RELU).useBias(false), Shape.of(3, 2), new Expect(Shape.of(3), 3 * (2 * 3 + 3 * 3), false));
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
    void recurrentLayersRejectSoftmax() {
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class, () -> LSTM.of(4).activation(Activation.SOFTMAX));
        assertTrue(a.getMessage().startsWith("activation:"), a.getMessage());
    }
}
