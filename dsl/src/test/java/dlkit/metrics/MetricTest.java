package dlkit.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dlkit.loss.Loss;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import org.junit.jupiter.api.Test;

class MetricTest {
    // 4 samples, 3 classes; predicted classes 0, 2, 1, 1; true classes 0, 1, 1, 2.
    static final double[] PRED = {0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.5, 0.3, 0.1, 0.5, 0.4};
    static final float[] SPARSE = {0, 1, 1, 2};

    static double result(Metric m, Loss loss, double[] pred, float[] y, int n, int width) {
        Buf p = Buf.allocate(DType.FLOAT32, pred.length);
        p.put(0, pred, 0, pred.length);
        Metric.Accumulator a = m.newAccumulator(loss, width);
        a.update(p, y, 2, width); // two batches, as in an epoch
        Buf rest = p.slice(2 * width, (n - 2) * width);
        float[] yRest = java.util.Arrays.copyOfRange(y, 2 * (y.length / n), y.length);
        a.update(rest, yRest, n - 2, width);
        return a.result();
    }

    @Test
    void classMetricsAccumulateOverBatches() {
        Loss scce = Loss.SPARSE_CATEGORICAL_CROSSENTROPY;
        assertEquals(0.5, result(Metric.ACCURACY, scce, PRED, SPARSE, 4, 3), 1e-12);
        assertEquals(1.0, result(Metric.topK(2), scce, PRED, SPARSE, 4, 3), 1e-12);
        assertEquals(0.5, result(Metric.topK(1), scce, PRED, SPARSE, 4, 3), 1e-12);
        // per class precision: c0 1/1, c1 1/2, c2 0/1 → macro 0.5; recall: c0 1/1, c1 1/2, c2 0/1 → 0.5
        assertEquals(0.5, result(Metric.PRECISION, scce, PRED, SPARSE, 4, 3), 1e-12);
        assertEquals(0.5, result(Metric.RECALL, scce, PRED, SPARSE, 4, 3), 1e-12);
        assertEquals((1 + 0.5 + 0) / 3, result(Metric.F1_SCORE, scce, PRED, SPARSE, 4, 3), 1e-12);
        float[] oneHot = {1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1};
        assertEquals(0.5, result(Metric.ACCURACY, Loss.CATEGORICAL_CROSSENTROPY, PRED, oneHot, 4, 3), 1e-12);
    }

    @Test
    void binaryAndRegressionMetrics() {
        double[] p = {0.9, 0.2, 0.6, 0.4};
        float[] y = {1, 0, 0, 1};
        assertEquals(0.5, result(Metric.ACCURACY, Loss.BINARY_CROSSENTROPY, p, y, 4, 1), 1e-12);
        assertEquals(0.5, result(Metric.PRECISION, Loss.BINARY_CROSSENTROPY, p, y, 4, 1), 1e-12);
        assertEquals(0.5, result(Metric.RECALL, Loss.BINARY_CROSSENTROPY, p, y, 4, 1), 1e-12);
        assertEquals((0.1 + 0.2 + 0.6 + 0.6) / 4, result(Metric.MAE, Loss.MEAN_SQUARED_ERROR, p, y, 4, 1), 1e-6);
    }

    @Test
    void confusionMatrix() {
        ConfusionMatrix cm = new ConfusionMatrix(3);
        int[][] pairs = {{0, 0}, {1, 2}, {1, 1}, {2, 1}};
        for (int[] pr : pairs) {
            cm.add(pr[0], pr[1]);
        }
        assertEquals(1, cm.count(1, 2));
        assertEquals(0.5, cm.accuracy(), 1e-12);
        assertEquals(0.5, cm.precision(1), 1e-12);
        assertEquals(2.0 / 3 * 0.5 + 0, (cm.f1(1) + cm.f1(2)) / 3 * 2, 1e-12);
    }
}
