package dlkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.data.Npy;
import dlkit.model.Model;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Data-parallel training on Spark in local mode (two barrier tasks in one JVM, the ring between them over loopback). */
class SparkTrainingTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        SparkConf conf = new SparkConf().setMaster("local[2]").setAppName("dlkit-spark-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false");
        sc = new JavaSparkContext(conf);
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    /** The Fashion-MNIST MLP's shape (784-256-128-10, Adam) on data a random teacher labels, one epoch of {@code steps} global batches. */
    static Path config(Path dir, int samples) throws IOException {
        SplittableRandom rng = new SplittableRandom(11);
        float[] x = new float[samples * 784];
        float[] y = new float[samples];
        double[][] teacher = new double[10][784];
        for (double[] row : teacher) {
            for (int j = 0; j < 784; j++) {
                row[j] = rng.nextGaussian();
            }
        }
        for (int i = 0; i < samples; i++) {
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < 784; j++) {
                x[i * 784 + j] = (float) rng.nextDouble();
            }
            for (int c = 0; c < 10; c++) {
                double s = 0;
                for (int j = 0; j < 784; j++) {
                    s += teacher[c][j] * (x[i * 784 + j] - 0.5);
                }
                if (s > bestScore) {
                    bestScore = s;
                    best = c;
                }
            }
            y[i] = best;
        }
        try (OutputStream o = Files.newOutputStream(dir.resolve("x.npy"))) {
            Npy.write(o, new long[] {samples, 784}, x);
        }
        try (OutputStream o = Files.newOutputStream(dir.resolve("y.npy"))) {
            Npy.write(o, new long[] {samples}, y);
        }
        Path config = dir.resolve("mlp.json");
        Files.writeString(config, """
                {"name": "mlp",
                 "model": {"layers": [{"type": "Input", "shape": [784]}, {"type": "Dense", "units": 256, "activation": "relu"},
                                      {"type": "Dense", "units": 128, "activation": "relu"}, {"type": "Dense", "units": 10, "activation": "softmax"}]},
                 "compile": {"optimizer": {"type": "adam", "learning_rate": 0.001}, "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
                 "data": {"train": {"type": "npy", "x": "x.npy", "y": "y.npy"}},
                 "fit": {"epochs": 1, "batch_size": 128, "seed": 5}}
                """);
        return config;
    }

    /** Two workers at batch 64 train the model one process trains at batch 128: 50 Adam steps, weights equal to 1e-5 relative. */
    @Test
    void twoWorkersAtHalfTheBatchTrainWhatOneTrains(@TempDir Path dir) throws IOException {
        Path config = config(dir, 50 * 128);
        Run single = Run.prepare(RunConfig.read(config));
        Model one = single.model();
        one.fit(single.train(), single.fitOptions(new Run.Overrides(1, 128, 5L)));

        SparkTraining.Result r = SparkTraining.train(sc, config, SparkTraining.Settings.workers(2).batchPerWorker(64).epochs(1).seed(5));
        assertEquals(50, r.steps());
        Map<String, INDArray> a = one.getWeights();
        Map<String, INDArray> b = r.model().getWeights();
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (String k : a.keySet()) {
            double rel = a.get(k).sub(b.get(k)).norm2Number().doubleValue() / Math.max(1e-12, a.get(k).norm2Number().doubleValue());
            worst = Math.max(worst, rel);
        }
        assertTrue(worst <= 1e-5, "max ||Δw||/||w|| = " + worst);
        // each worker sends 2·(N−1)/N of the gradients (and the row count) per step: all 235,146 floats at N = 2
        assertEquals(4L * (one.trainableParamCount() + 1), r.bytesPerStep(), 4);
        assertEquals(2, r.allReduceShare().length);
        assertEquals(1, r.history().get("loss").size());
        System.out.printf("spark local[2]: max ||dw||/||w|| = %.2e over %d steps, %d bytes/step per worker, all-reduce %.1f%%/%.1f%% of fit time%n",
                worst, r.steps(), r.bytesPerStep(), 100 * r.allReduceShare()[0], 100 * r.allReduceShare()[1]);
    }

    @Test
    void moreWorkersThanSlotsFailsFastNamingTheSetting(@TempDir Path dir) throws IOException {
        Path config = config(dir, 256);
        ConfigException e = assertThrows(ConfigException.class, () -> SparkTraining.train(sc, config, SparkTraining.Settings.workers(3)));
        assertTrue(e.getMessage().contains("workers") && e.getMessage().contains("3 workers need 3 task slots") && e.getMessage().contains("has 2"),
                e.getMessage());
    }
}
