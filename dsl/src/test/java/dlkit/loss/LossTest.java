package dlkit.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.layers.Activation;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import org.junit.jupiter.api.Test;

class LossTest {
    static Buf buf(DType t, double... v) {
        Buf b = Buf.allocate(t, v.length);
        b.put(0, v, 0, v.length);
        return b;
    }

    @Test
    void crossEntropyFromLogitsIsStableForHugeLogits() {
        Buf z = buf(DType.FLOAT32, 1000, -1000, 0, -800, 900, 1000);
        Buf g = Buf.allocate(DType.FLOAT32, 6);
        double l = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.withFromLogits(true).compute(z, new float[] {1, 0}, 2, 3, g, false);
        // sample 0: lse = 1000, loss = 1000 - (-1000) = 2000; sample 1: lse ≈ 1000, loss ≈ 1000 - (-800) = 1800
        assertEquals((2000 + 1800) / 2.0, l, 1e-3);
        for (int i = 0; i < 6; i++) {
            assertTrue(Double.isFinite(g.get(i)));
        }
        assertEquals(0.5, g.get(0), 1e-6); // (p - y)/n with p = 1, y = 0
        assertEquals(-0.5, g.get(1), 1e-6);
    }

    @Test
    void probabilityCrossEntropyClipsLikeKeras() {
        Buf p = buf(DType.FLOAT32, 1, 0, 0);
        double l = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(p, new float[] {2}, 1, 3, null, false);
        assertEquals(-Math.log(1e-7), l, 1e-4);
    }

    @Test
    void fusedSoftmaxGradientEqualsTheChainRule() {
        double[] z = {0.3, -1.2, 2.0, 0.7, 0.1, -0.4};
        float[] y = {2, 0};
        Buf zb = buf(DType.FLOAT64, z);
        Buf p = Buf.allocate(DType.FLOAT64, 6);
        Activation.SOFTMAX.forward(zb, p, 2, 3);
        for (Loss loss : new Loss[] {Loss.SPARSE_CATEGORICAL_CROSSENTROPY}) {
            Buf fused = Buf.allocate(DType.FLOAT64, 6);
            Buf dp = Buf.allocate(DType.FLOAT64, 6);
            Buf chained = Buf.allocate(DType.FLOAT64, 6);
            double lf = loss.compute(p, y, 2, 3, fused, true);
            double lc = loss.compute(p, y, 2, 3, dp, false);
            Activation.SOFTMAX.backward(zb, p, dp, chained, 2, 3);
            assertEquals(lf, lc, 1e-15);
            for (int i = 0; i < 6; i++) {
                assertEquals(chained.get(i), fused.get(i), 1e-12);
            }
        }
        assertTrue(Loss.CATEGORICAL_CROSSENTROPY.fusesWith(Activation.SOFTMAX));
        assertTrue(Loss.BINARY_CROSSENTROPY.fusesWith(Activation.SIGMOID));
        assertTrue(!Loss.MEAN_SQUARED_ERROR.fusesWith(Activation.SOFTMAX));
    }

    @Test
    void regressionLossesAverageOverTheLastAxisThenTheBatch() {
        Buf pred = buf(DType.FLOAT64, 0, 3, 1, 1);
        float[] y = {0.5f, 0, 1, 1};
        // errors: -0.5, 3, 0, 0 → MSE row means (0.25+9)/2, 0 → mean 2.3125
        assertEquals(2.3125, Loss.MEAN_SQUARED_ERROR.compute(pred, y, 2, 2, null, false), 1e-12);
        assertEquals((0.5 + 3) / 4, Loss.MEAN_ABSOLUTE_ERROR.compute(pred, y, 2, 2, null, false), 1e-12);
        // Huber δ=1: 0.125 and 2.5 → row mean 1.3125, batch mean 0.65625
        assertEquals(0.65625, Loss.HUBER.compute(pred, y, 2, 2, null, false), 1e-12);
        assertEquals("mean_squared_error", Loss.fromName("mse").name());
    }
}
