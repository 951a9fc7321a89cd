package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ShapeException;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.LayerCall;
import dlkit.layers.core.Dense;
import dlkit.layers.merge.Concatenate;
import dlkit.layers.recurrent.GRU;
import dlkit.layers.recurrent.LSTM;
import dlkit.layers.recurrent.SimpleRNN;
import dlkit.loss.Loss;
import dlkit.optim.Sgd;
import dlkit.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** return_state outputs and initial-state inputs of SimpleRNN, LSTM and GRU (Keras' functional RNN wiring). */
class RecurrentStateTest {
    /**
     * Initial states computed from a second input, final states fed onward and used as outputs (so their gradients
     * join the last step's): every weight gradient against central differences, float64.
     */
    @Test
    void gradientsFlowThroughInitialAndFinalStates() {
        Input x = Input.of(5, 3).named("x");
        Input s = Input.of(4).named("s");
        LayerCall h0 = Dense.of(4).activation(Activation.TANH).named("h0").apply(s);
        LayerCall c0 = Dense.of(4).named("c0").apply(s);
        List<LayerCall> lstm = LSTM.of(4).returnSequences(true).returnState(true).named("lstm").applyAll(x, h0, c0);
        assertEquals(3, lstm.size());
        List<LayerCall> gru = GRU.of(4).returnState(true).resetAfter(false).named("gru").applyAll(lstm.get(0), lstm.get(1));
        List<LayerCall> rnn = SimpleRNN.of(3).goBackwards(true).returnState(true).named("rnn")
                .applyAll(lstm.get(0), Dense.of(3).named("r0").apply(lstm.get(2)));
        LayerCall joined = Concatenate.of().apply(gru.get(0), gru.get(1), rnn.get(1), lstm.get(2));
        Model m = Model.of(List.of(x, s), List.of(Dense.of(2).named("out").apply(joined), lstm.get(1))).withDType(DType.FLOAT64);
        assertEquals(List.of("out", "lstm#1"), m.outputNames());
        assertEquals(m.toJson(), Model.fromJson(m.toJson()).withDType(DType.FLOAT64).toJson());
        m.compile(Sgd.of(), List.of(Loss.MEAN_SQUARED_ERROR, Loss.MEAN_SQUARED_ERROR), List.of(1.0, 0.5), List.of(List.of(), List.of()));
        m.initialize(3);
        int n = 4;
        List<INDArray> xs = List.of(ModelTestKit.gaussian(1, n, 5, 3), ModelTestKit.gaussian(2, n, 4));
        List<INDArray> ys = List.of(ModelTestKit.gaussian(3, n, 2), ModelTestKit.gaussian(4, n, 4));
        ModelTestKit.gradientCheck(m, xs, ys);
    }

    /** A sequence in two halves, the first half's final states starting the second, equals the whole sequence. */
    @Test
    void finalStatesContinueASequence() {
        for (String cell : List.of("lstm", "gru", "simple")) {
            Input whole = Input.of(6, 2).named("whole");
            Input half = Input.of(3, 2).named("half");
            int states = cell.equals("lstm") ? 2 : 1;
            dlkit.layers.Layer rnn = switch (cell) {
                case "lstm" -> LSTM.of(3).returnState(true).named("rnn");
                case "gru" -> GRU.of(3).returnState(true).named("rnn");
                default -> SimpleRNN.of(3).returnState(true).named("rnn");
            };
            Model full = Model.of(List.of(whole), List.of(rnn.applyAll(whole).get(0))).withDType(DType.FLOAT64);
            full.initialize(9);
            List<Input> stateIns = new java.util.ArrayList<>();
            List<dlkit.layers.SymbolicTensor> args = new java.util.ArrayList<>(List.of(half));
            for (int k = 0; k < states; k++) {
                Input st = Input.of(3).named("state_" + k);
                stateIns.add(st);
                args.add(st);
            }
            List<dlkit.layers.SymbolicTensor> ins = new java.util.ArrayList<>(List.of(half));
            ins.addAll(stateIns);
            Model step = Model.of(ins, rnn.applyAll(args)).withDType(DType.FLOAT64);
            step.setWeightsFrom(full);
            INDArray seq = ModelTestKit.gaussian(5, 2, 6, 2);
            INDArray first = seq.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 3), NDArrayIndex.all()).dup();
            INDArray second = seq.get(NDArrayIndex.all(), NDArrayIndex.interval(3, 6), NDArrayIndex.all()).dup();
            List<INDArray> zeros = new java.util.ArrayList<>(List.of(first));
            for (int k = 0; k < states; k++) {
                zeros.add(Nd4j.zeros(DType.FLOAT64.nd4j(), 2, 3));
            }
            List<INDArray> a = step.predict(zeros);
            List<INDArray> next = new java.util.ArrayList<>(List.of(second));
            next.addAll(a.subList(1, 1 + states));
            INDArray b = step.predict(next).get(0);
            INDArray expected = full.predict(seq);
            assertEquals(0, expected.sub(b).amaxNumber().doubleValue(), 1e-12, cell);
            assertEquals(0, a.get(0).sub(a.get(1)).amaxNumber().doubleValue(), 0, cell + ": the last output is the final h");
        }
    }

    @Test
    void misuseIsReportedWithTheLayerAndShapes() {
        Input x = Input.of(5, 3);
        LSTM lstm = LSTM.of(4).returnState(true).named("enc");
        ShapeException single = assertThrows(ShapeException.class, () -> lstm.apply(x));
        assertTrue(single.getMessage().contains("has 3 outputs") && single.getMessage().contains("applyAll"), single.getMessage());
        ShapeException seq = assertThrows(ShapeException.class, () -> Sequential.of(x, lstm));
        assertTrue(seq.getMessage().contains("return_state on") && seq.getMessage().contains("h and c"), seq.getMessage());
        ShapeException badState = assertThrows(ShapeException.class, () -> LSTM.of(4).named("dec").applyAll(x, Input.of(5), Input.of(4)));
        assertTrue(badState.getMessage().contains("initial state h must be shaped (None, 4)") && badState.getMessage().contains("(None, 5)"),
                badState.getMessage());
        ShapeException count = assertThrows(ShapeException.class, () -> GRU.of(4).named("g").applyAll(x, Input.of(4), Input.of(4)));
        assertTrue(count.getMessage().contains("1 or 2 inputs, got 3"), count.getMessage());
        ShapeException stateful = assertThrows(ShapeException.class, () -> SimpleRNN.of(4).stateful(true).named("st").applyAll(x, Input.of(4)));
        assertTrue(stateful.getMessage().contains("stateful"), stateful.getMessage());
    }
}
