package dlkit.callbacks;

import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.layers.regularization.Dropout;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.model.Callback;
import dlkit.model.FitOptions;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.model.TrainingState;
import dlkit.optim.Adam;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A small model, separable data, and callbacks that script or record what training logs. */
final class Fixtures {
    private Fixtures() {}

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

    static Model model(double lr) {
        Model m = Sequential.of(Input.of(4), Dense.of(16).activation(Activation.RELU), Dropout.of(0.1), Dense.of(3).activation(Activation.SOFTMAX));
        m.compile(Adam.of(lr), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        return m;
    }

    static FitOptions options(int epochs, Callback... cbs) {
        return FitOptions.epochs(epochs).batchSize(50).seed(5).validationData(blobs(100, 9)).callbacks(cbs);
    }

    /** Overwrites a logged value at each epoch end with a scripted one, so monitors see a known sequence. */
    static Callback script(String key, double... values) {
        return new Callback() {
            @Override
            public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
                logs.put(key, values[epoch]);
            }
        };
    }

    /** Records the weights and learning rate at every epoch end. */
    static final class Recorder implements Callback {
        final List<Map<String, INDArray>> weights = new ArrayList<>();
        final List<Double> learningRates = new ArrayList<>();
        final List<Double> stepRates = new ArrayList<>();

        @Override
        public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
            stepRates.add(state.learningRate());
        }

        @Override
        public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
            weights.add(state.model().getWeights());
            learningRates.add(state.learningRate());
        }
    }
}
