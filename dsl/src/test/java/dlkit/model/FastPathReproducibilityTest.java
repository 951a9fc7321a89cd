package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.Padding;
import dlkit.layers.convolution.Conv2D;
import dlkit.layers.convolution.ResidualBlock;
import dlkit.layers.core.Dense;
import dlkit.layers.pooling.GlobalAveragePooling2D;
import dlkit.layers.pooling.MaxPooling2D;
import dlkit.layers.recurrent.LSTM;
import dlkit.layers.reshaping.Flatten;
import dlkit.loss.Loss;
import dlkit.optim.Adam;
import dlkit.tensor.Dnnl;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Models on the oneDNN fast path train bit-identically run to run (same seed, same threads), and land where the
 * portable path does: a few optimizer steps apart only by float rounding.
 */
class FastPathReproducibilityTest {
    /** 12×12 noise images (or 12 steps of 12 features) labelled by the signs of two pixels. */
    static ArrayDataset images(int n, long seed, boolean sequences) {
        INDArray x = ModelTestKit.gaussian(seed, n, 12 * 12);
        INDArray y = Nd4j.create(new float[n], new long[] {n, 1});
        for (int i = 0; i < n; i++) {
            y.putScalar(i, 0, (x.getFloat(i, 0) > 0 ? 1 : 0) + (x.getFloat(i, 77) > 0 ? 2 : 0));
        }
        return ArrayDataset.of(sequences ? x.reshape(n, 12, 12) : x.reshape(n, 12, 12, 1), y);
    }

    static Model cnn() {
        return Sequential.of(Input.of(12, 12, 1), Conv2D.of(8, 3).activation(Activation.RELU), MaxPooling2D.of(2),
                ResidualBlock.of(8).batchNormalization(false), Conv2D.of(6, 3).padding(Padding.SAME).activation(Activation.TANH),
                GlobalAveragePooling2D.of(), Dense.of(4).activation(Activation.SOFTMAX)).initialize(5);
    }

    static Model lstm() {
        return Sequential.of(Input.of(12, 12), LSTM.of(16).returnSequences(true), LSTM.of(8), Flatten.of(),
                Dense.of(4).activation(Activation.SOFTMAX)).initialize(5);
    }

    static Map<String, INDArray> train(Supplier<Model> build, boolean rnn) {
        Model m = build.get();
        m.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        ArrayDataset d = images(200, 3, rnn);
        m.fit(d, FitOptions.epochs(2).batchSize(64).seed(9)); // 4 batches an epoch, the last one short
        return m.getWeights();
    }

    static double maxDifference(Map<String, INDArray> a, Map<String, INDArray> b) {
        double worst = 0;
        for (String k : a.keySet()) {
            worst = Math.max(worst, a.get(k).sub(b.get(k)).amaxNumber().doubleValue());
        }
        return worst;
    }

    @Test
    void convolutionalAndRecurrentModelsAreBitReproducibleAndMatchThePortablePath() {
        assertTrue(Dnnl.available());
        for (boolean rnn : new boolean[] {false, true}) {
            Supplier<Model> build = rnn ? FastPathReproducibilityTest::lstm : FastPathReproducibilityTest::cnn;
            Map<String, INDArray> first = train(build, rnn);
            Map<String, INDArray> second = train(build, rnn);
            CheckpointTest.assertSameWeights(first, second);
            Map<String, INDArray> portable;
            try {
                Dnnl.force(false);
                portable = train(build, rnn);
            } finally {
                Dnnl.force(null);
            }
            double diff = maxDifference(first, portable);
            assertTrue(diff < 1e-4, (rnn ? "LSTM" : "CNN") + " weights after 8 steps differ from the portable path's by " + diff);
        }
    }
}
