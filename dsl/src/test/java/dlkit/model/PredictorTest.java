package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ShapeException;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.LayerCall;
import dlkit.layers.convolution.Conv2D;
import dlkit.layers.core.Dense;
import dlkit.layers.merge.Concatenate;
import dlkit.layers.reshaping.Flatten;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class PredictorTest {
    /** Any n up to the planned batch, through the float32 fast paths, gives Model.predict's outputs on the same rows. */
    @Test
    void aPredictorOfOnePlanMatchesPredictForEveryBatchSizeUpToItsMax() {
        Model m = Sequential.of(Input.of(8, 8, 2), Conv2D.of(4, 3).activation(Activation.RELU), Flatten.of(),
                Dense.of(5).activation(Activation.SOFTMAX));
        m.initialize(3);
        Predictor p = m.predictor(16);
        assertEquals(16, p.maxBatch());
        assertEquals(128, p.inputSize(0));
        assertEquals(5, p.outputSize(0));
        INDArray x = ModelTestKit.gaussian(7, 16, 128).castTo(DataType.FLOAT).reshape(16, 8, 8, 2);
        float[] xs = x.dup('c').data().asFloat();
        float[] all = m.predict(x).data().asFloat();
        float[][] out = {new float[16 * 5]};
        for (int n : new int[] {1, 3, 16, 7, 1}) {
            p.predict(new float[][] {xs}, n, out);
            for (int i = 0; i < n * 5; i++) {
                assertEquals(all[i], out[0][i], 1e-6, "n=" + n + " value " + i);
            }
        }
    }

    /** Several inputs and outputs: inputs given per input, outputs per output, as predict(List) returns them. */
    @Test
    void severalInputsAndOutputsGoInAndOutSeparately() {
        Input a = Input.of(3).named("a");
        Input b = Input.of(2).named("b");
        LayerCall h = Dense.of(4).activation(Activation.TANH).apply(Concatenate.of().apply(a, b));
        Model m = Model.of(List.of(a, b), List.of(Dense.of(2).named("y").apply(h), Dense.of(1).named("z").apply(h)));
        m.initialize(1);
        INDArray xa = ModelTestKit.gaussian(1, 5, 3).castTo(DataType.FLOAT);
        INDArray xb = ModelTestKit.gaussian(2, 5, 2).castTo(DataType.FLOAT);
        List<INDArray> want = m.predict(List.of(xa, xb));
        Predictor p = m.predictor(8);
        float[][] out = {new float[16], new float[8]};
        p.predict(new float[][] {xa.data().asFloat(), xb.data().asFloat()}, 5, out);
        for (int o = 0; o < 2; o++) {
            float[] w = want.get(o).data().asFloat();
            for (int i = 0; i < w.length; i++) {
                assertEquals(w[i], out[o][i], 1e-6);
            }
        }
        ShapeException e = assertThrows(ShapeException.class, () -> p.predict(new float[][] {new float[27], new float[18]}, 9, out));
        assertTrue(e.getMessage().contains("9 samples, expected 1 to 8"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> p.predict(new float[][] {new float[3]}, 1, out));
        assertTrue(e.getMessage().contains("1 input and 2 output arrays, the model has 2 and 2"), e.getMessage());
    }
}
