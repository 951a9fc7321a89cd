package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ShapeException;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.core.Dense;
import dlkit.layers.core.Embedding;
import dlkit.layers.core.Masking;
import dlkit.layers.recurrent.Bidirectional;
import dlkit.layers.recurrent.GRU;
import dlkit.layers.recurrent.LSTM;
import dlkit.layers.recurrent.SimpleRNN;
import dlkit.loss.Loss;
import dlkit.optim.Sgd;
import dlkit.tensor.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Padded variable-length batches give what the unpadded sequences give: outputs and gradients. */
class MaskingTest {
    static final int STEPS = 6;
    static final int FEATURES = 3;
    /** Real lengths; padding after the real steps. */
    static final int[] LENGTHS = {4, 6, 2, 5};

    static double[][][] sequences(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[][][] s = new double[LENGTHS.length][][];
        for (int i = 0; i < s.length; i++) {
            s[i] = new double[LENGTHS[i]][FEATURES];
            for (double[] step : s[i]) {
                for (int k = 0; k < FEATURES; k++) {
                    step[k] = rng.nextGaussian();
                }
            }
        }
        return s;
    }

    static INDArray padded(double[][][] s, DataType type) {
        INDArray x = Nd4j.zeros(type, s.length, STEPS, FEATURES);
        for (int i = 0; i < s.length; i++) {
            for (int t = 0; t < s[i].length; t++) {
                for (int k = 0; k < FEATURES; k++) {
                    x.putScalar(new int[] {i, t, k}, s[i][t][k]);
                }
            }
        }
        return x;
    }

    static INDArray one(double[][] s, DataType type) {
        INDArray x = Nd4j.zeros(type, 1, s.length, FEATURES);
        for (int t = 0; t < s.length; t++) {
            for (int k = 0; k < FEATURES; k++) {
                x.putScalar(new int[] {0, t, k}, s[t][k]);
            }
        }
        return x;
    }

    /** The same weights under the unmasked model's names (the masked one has an extra Masking layer first). */
    static void copyWeights(Model from, Model to) {
        Map<String, INDArray> w = new HashMap<>();
        from.getWeights().forEach((k, v) -> w.put(k, v));
        to.setWeights(w);
    }

    static void assertPaddedEqualsUnpadded(Supplier<List<Layer>> body, DType dtype, double tol) {
        DataType type = dtype == DType.FLOAT64 ? DataType.DOUBLE : DataType.FLOAT;
        List<Layer> masked = new ArrayList<>(List.of(Input.of(STEPS, FEATURES), Masking.of()));
        masked.addAll(body.get());
        Model m = new Sequential("masked", masked, dtype);
        m.compile(Sgd.of(0.1), Loss.MEAN_SQUARED_ERROR);
        m.initialize(7);
        double[][][] s = sequences(3);
        INDArray out = m.predict(padded(s, type));
        int width = (int) out.size(1);
        INDArray target = Nd4j.ones(type, 1, width);
        for (int i = 0; i < s.length; i++) {
            List<Layer> plain = new ArrayList<>(List.of(Input.of(LENGTHS[i], FEATURES)));
            plain.addAll(body.get());
            Model p = new Sequential("plain", plain, dtype);
            p.compile(Sgd.of(0.1), Loss.MEAN_SQUARED_ERROR);
            copyWeights(m, p);
            INDArray expected = p.predict(one(s[i], type));
            assertArrayEquals(expected.data().asDouble(), out.getRow(i).dup().data().asDouble(), tol, "sample " + i + " (length " + LENGTHS[i] + ")");
            // Gradients: the padded sample alone gives the unpadded one's weight gradients.
            p.computeGradients(one(s[i], type), target);
            m.computeGradients(padded(new double[][][] {s[i]}, type).reshape(1, STEPS, FEATURES), target);
            Map<String, INDArray> gp = p.getGradients();
            Map<String, INDArray> gm = m.getGradients();
            for (String k : gp.keySet()) {
                assertArrayEquals(gp.get(k).data().asDouble(), gm.get(k).data().asDouble(), tol, "gradient of " + k + ", sample " + i);
            }
        }
    }

    @Test
    void recurrentLayersSkipPaddedSteps() {
        for (DType dtype : List.of(DType.FLOAT64, DType.FLOAT32)) {
            double tol = dtype == DType.FLOAT64 ? 1e-12 : 2e-5;
            assertPaddedEqualsUnpadded(() -> List.of(LSTM.of(4), Dense.of(2)), dtype, tol);
            assertPaddedEqualsUnpadded(() -> List.of(GRU.of(4), Dense.of(2)), dtype, tol);
            assertPaddedEqualsUnpadded(() -> List.of(GRU.of(4).resetAfter(false), Dense.of(2)), dtype, tol);
            assertPaddedEqualsUnpadded(() -> List.of(SimpleRNN.of(4), Dense.of(2)), dtype, tol);
            assertPaddedEqualsUnpadded(() -> List.of(Bidirectional.of(LSTM.of(3)), Dense.of(2)), dtype, tol);
            // The mask passes through a return_sequences layer and a Dense on every step to the next recurrent layer.
            assertPaddedEqualsUnpadded(() -> List.of(GRU.of(4).returnSequences(true), Dense.of(5), LSTM.of(3).goBackwards(true)), dtype, tol);
        }
    }

    @Test
    void embeddingMaskZeroSkipsPaddingTokens() {
        int[][] tokens = {{3, 1, 4, 1}, {5, 9, 2, 6, 5, 3}, {5, 8}};
        Model m = Sequential.of(Input.of(6), Embedding.of(10, 4).maskZero(true), LSTM.of(5));
        m.initialize(2);
        INDArray ids = Nd4j.zeros(DataType.FLOAT, 3, 6);
        for (int i = 0; i < tokens.length; i++) {
            for (int t = 0; t < tokens[i].length; t++) {
                ids.putScalar(i, t, tokens[i][t]);
            }
        }
        INDArray out = m.predict(ids);
        for (int i = 0; i < tokens.length; i++) {
            Model p = Sequential.of(Input.of(tokens[i].length), Embedding.of(10, 4), LSTM.of(5));
            p.setWeights(m.getWeights());
            INDArray one = Nd4j.zeros(DataType.FLOAT, 1, tokens[i].length);
            for (int t = 0; t < tokens[i].length; t++) {
                one.putScalar(0, t, tokens[i][t]);
            }
            assertArrayEquals(p.predict(one).data().asFloat(), out.getRow(i).dup().data().asFloat(), 1e-5f, "sequence " + i);
        }
        // Without the mask the padding is read as token 0 and the result differs.
        Model unmasked = Sequential.of(Input.of(6), Embedding.of(10, 4), LSTM.of(5));
        unmasked.setWeights(m.getWeights());
        assertTrue(Math.abs(unmasked.predict(ids).getFloat(0, 0) - out.getFloat(0, 0)) > 1e-4, "padding changes an unmasked LSTM");
    }

    @Test
    void maskingZeroesPaddedStepsAndChecksItsInput() {
        Model m = Sequential.of(Input.of(3, 2), Masking.of(-1));
        INDArray x = Nd4j.create(new float[] {1, 2, -1, -1, -1, 5}, new long[] {1, 3, 2});
        assertArrayEquals(new float[] {1, 2, 0, 0, -1, 5}, m.predict(x).data().asFloat(), 0f);
        ShapeException e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(4), Masking.of()));
        assertTrue(e.getMessage().contains("[steps, features]"), e.getMessage());
        assertEquals("Masking", Masking.of().type());
    }
}
