package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.data.ArrayDataset;
import dlkit.data.Batch;
import dlkit.data.Dataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.Regularizer;
import dlkit.layers.core.Dense;
import dlkit.layers.regularization.Dropout;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.optim.Adam;
import dlkit.optim.Sgd;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TrainingTest {
    /** Three Gaussian blobs in 4-D: separable, so a small MLP must reach high accuracy. */
    static ArrayDataset blobs(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[n * 4];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            int c = rng.nextInt(3);
            y[i] = c;
            for (int j = 0; j < 4; j++) {
                x[i * 4 + j] = (float) (rng.nextGaussian() * 0.7 + (j == c ? 2.5 : 0));
            }
        }
        return new ArrayDataset(x, Shape.of(4), y, 1);
    }

    static Model mlp() {
        return Sequential.of(Input.of(4), Dense.of(16).activation(Activation.RELU).kernelRegularizer(Regularizer.l2(1e-4)),
                Dropout.of(0.1), Dense.of(3).activation(Activation.SOFTMAX));
    }

    @Test
    void learnsSeparableClassesAndReportsHistory() {
        Model m = mlp();
        m.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY, Metric.F1_SCORE);
        History h = m.fit(blobs(1200, 1), FitOptions.epochs(8).batchSize(32).validationSplit(0.25).seed(7));
        assertEquals(List.of("loss", "accuracy", "f1_score", "val_loss", "val_accuracy", "val_f1_score"), h.keys());
        assertEquals(8, h.get("loss").size());
        assertTrue(h.get("loss").get(7) < h.get("loss").get(0), "loss decreases: " + h.get("loss"));
        Map<String, Double> test = m.evaluate(blobs(600, 2));
        assertTrue(test.get("accuracy") > 0.95, "accuracy " + test);
        var cm = m.confusionMatrix(blobs(600, 2));
        assertEquals(600, cm.total());
        assertEquals(test.get("accuracy"), cm.accuracy(), 1e-12);
        assertEquals(test.get("f1_score"), cm.macroF1(), 1e-12);
        INDArray p = m.predict(Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 5, 4));
        assertArrayEquals(new long[] {5, 3}, p.shape());
        for (int r = 0; r < 5; r++) {
            assertEquals(1.0, p.getRow(r).sumNumber().doubleValue(), 1e-5);
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeights() {
        float[][] runs = new float[2][];
        for (int r = 0; r < 2; r++) {
            Model m = mlp();
            m.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            m.fit(blobs(500, 3), FitOptions.epochs(3).batchSize(50).seed(99));
            runs[r] = m.getWeights().get("dense.kernel").data().asFloat();
        }
        assertArrayEquals(runs[0], runs[1]);
        Model other = mlp();
        other.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        other.fit(blobs(500, 3), FitOptions.epochs(3).batchSize(50).seed(100));
        assertTrue(!java.util.Arrays.equals(runs[0], other.getWeights().get("dense.kernel").data().asFloat()));
    }

    @Test
    void streamingDatasetTrainsLikeTheSameDataInMemory() {
        ArrayDataset data = blobs(300, 4);
        List<Batch> batches = new ArrayList<>();
        for (int start = 0; start < 300; start += 70) { // chunks unlike the batch size: the cursor re-chunks
            int n = Math.min(70, 300 - start);
            float[] x = new float[n * 4];
            float[] y = new float[n];
            for (int i = 0; i < n; i++) {
                System.arraycopy(data.features(start + i), 0, x, i * 4, 4);
                y[i] = data.label(start + i, 0);
            }
            batches.add(new Batch(x, y, n));
        }
        Dataset stream = Dataset.fromBatches(Shape.of(4), 1, batches::iterator);
        float[][] w = new float[2][];
        int k = 0;
        for (Dataset d : List.of(data, stream)) {
            Model m = Sequential.of(Input.of(4), Dense.of(8).activation(Activation.TANH), Dense.of(3).activation(Activation.SOFTMAX));
            m.compile(Sgd.of(0.1).momentum(0.9), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            m.fit(d, FitOptions.epochs(2).batchSize(32).shuffle(false).seed(5));
            w[k++] = m.getWeights().get("dense_1.kernel").data().asFloat();
        }
        assertArrayEquals(w[0], w[1]);
    }

    @Test
    void clippingBoundsTheUpdate() {
        Model m = Sequential.of(Input.of(4), Dense.of(3).activation(Activation.SOFTMAX));
        m.compile(Sgd.of(1.0).globalClipnorm(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        m.initialize(1);
        float[] before = m.getWeights().get("dense.kernel").data().asFloat();
        float[] beforeB = m.getWeights().get("dense.bias").data().asFloat();
        m.fit(blobs(32, 5), FitOptions.epochs(1).batchSize(32).seed(1));
        float[] after = m.getWeights().get("dense.kernel").data().asFloat();
        float[] afterB = m.getWeights().get("dense.bias").data().asFloat();
        double sq = 0;
        for (int i = 0; i < after.length; i++) {
            sq += Math.pow(after[i] - before[i], 2);
        }
        for (int i = 0; i < afterB.length; i++) {
            sq += Math.pow(afterB[i] - beforeB[i], 2);
        }
        assertEquals(1e-3, Math.sqrt(sq), 1e-6, "one SGD step with lr 1 moves exactly the clipped global norm");
    }

    @Test
    void badDataIsRejectedWithAClearMessage() {
        Model m = mlp();
        m.compile(Adam.of(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        ArrayDataset wrongShape = new ArrayDataset(new float[10 * 5], Shape.of(5), new float[10], 1);
        ShapeException e = assertThrows(ShapeException.class, () -> m.fit(wrongShape, FitOptions.epochs(1)));
        assertTrue(e.getMessage().contains("[5]") && e.getMessage().contains("[4]"), e.getMessage());
        ArrayDataset badLabel = new ArrayDataset(new float[2 * 4], Shape.of(4), new float[] {0, 7}, 1);
        DlkitException d = assertThrows(DlkitException.class, () -> m.fit(badLabel, FitOptions.epochs(1)));
        assertTrue(d.getMessage().contains("label 7.0 of sample 1") && d.getMessage().contains("[0, 3)"), d.getMessage());
        assertThrows(ShapeException.class, () -> m.predict(Nd4j.zeros(3, 5)));
        Model uncompiled = mlp();
        assertThrows(DlkitException.class, () -> uncompiled.fit(blobs(10, 1), FitOptions.epochs(1)));
    }
}
