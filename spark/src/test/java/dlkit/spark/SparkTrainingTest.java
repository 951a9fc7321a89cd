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
import java.util.List;
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
public class SparkTrainingTest {
    private static JavaSparkContext sc;

    @BeforeAll
    static void start() {
        // local[2, 4]: two slots, and a failed task retried as on a cluster (local[2] gives up at the first failure)
        SparkConf conf = new SparkConf().setMaster("local[2,4]").setAppName("dlkit-spark-test")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false");
        sc = new JavaSparkContext(conf);
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    /** The Fashion-MNIST MLP's shape (784-256-128-10, Adam) on data a random teacher labels, one epoch of {@code steps} global batches. */
    public static Path config(Path dir, int samples) throws IOException {
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

    private static double worstRelative(Model x, Model y) {
        Map<String, INDArray> a = x.getWeights();
        Map<String, INDArray> b = y.getWeights();
        assertEquals(a.keySet(), b.keySet());
        double worst = 0;
        for (String k : a.keySet()) {
            worst = Math.max(worst, a.get(k).sub(b.get(k)).norm2Number().doubleValue() / Math.max(1e-12, a.get(k).norm2Number().doubleValue()));
        }
        return worst;
    }

    /**
     * A worker lost after step 23 (of 50; checkpoints every 10): Spark retries the barrier stage, every replica
     * resumes from worker 0's checkpoint at step 20, and the run ends on the weights of a run never interrupted.
     */
    @Test
    void aLostWorkerResumesFromTheCheckpointAndEndsWhereAnUninterruptedRunEnds(@TempDir Path dir) throws IOException {
        Path config = config(dir, 50 * 128);
        SparkTraining.Settings s = SparkTraining.Settings.workers(2).batchPerWorker(64).epochs(1).seed(5);
        SparkTraining.Result clean = SparkTraining.train(sc, config, s.checkpoint(dir.resolve("clean"), 10));
        assertEquals(1, clean.attempts());
        SparkTraining.Result resumed;
        SparkTraining.fault = new SparkTraining.Fault(1, 23);
        java.io.ByteArrayOutputStream shown = new java.io.ByteArrayOutputStream();
        try {
            resumed = SparkTraining.train(sc, config, s.checkpoint(dir.resolve("lost"), 10),
                    new java.io.PrintStream(shown, true, java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            SparkTraining.fault = null;
        }
        // the driver draws worker 0's progress, as a local run's, and says what the lost worker cost
        String progress = shown.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(progress.contains("Epoch 1/1") && progress.contains("50/50 ") && progress.contains(" - loss: "), progress);
        assertTrue(progress.contains("attempt 2 (a worker was lost): resumed from the checkpoint at step 20, 3 steps redone"), progress);
        assertEquals(2, resumed.attempts());
        assertEquals(3, resumed.stepsRedone(), "the lost attempt reached step 23, the checkpoint was at 20");
        assertEquals(50, resumed.steps());
        double worst = worstRelative(clean.model(), resumed.model());
        assertTrue(worst <= 1e-7, "max ||dw||/||w|| = " + worst);
        assertTrue(Files.exists(dir.resolve("lost").resolve(SparkTraining.CHECKPOINT)));
        System.out.printf("spark retry: %d attempts, %d steps redone, max ||dw||/||w|| vs uninterrupted = %.1e%n", resumed.attempts(),
                resumed.stepsRedone(), worst);
    }

    /** With plain SGD, averaging the weights after every step is averaging the gradients (equal shards). */
    @Test
    void parameterAveragingEveryStepWithSgdIsTheAllReduce(@TempDir Path dir) throws IOException {
        Path config = config(dir, 20 * 128);
        // a step size at which training is stable: at 0.05 the two sums' rounding differences grow step by step
        Files.writeString(config, Files.readString(config).replace("{\"type\": \"adam\", \"learning_rate\": 0.001}",
                "{\"type\": \"sgd\", \"learning_rate\": 0.005}"));
        SparkTraining.Settings s = SparkTraining.Settings.workers(2).batchPerWorker(64).epochs(1).seed(5);
        SparkTraining.Result grads = SparkTraining.train(sc, config, s);
        SparkTraining.Result weights = SparkTraining.train(sc, config, s.sync(Synchronization.averageEvery(1)));
        double worst = worstRelative(grads.model(), weights.model());
        assertTrue(worst <= 1e-5, "max ||dw||/||w|| = " + worst);
    }

    /** Averaging and EASGD every 8 steps train (the loss falls) and send about an eighth of the all-reduce's bytes. */
    @Test
    void averagingAndElasticAveragingExchangeAFractionOfTheBytes(@TempDir Path dir) throws IOException {
        Path config = config(dir, 48 * 128);
        SparkTraining.Settings s = SparkTraining.Settings.workers(2).batchPerWorker(64).epochs(2).seed(5);
        SparkTraining.Result all = SparkTraining.train(sc, config, s);
        for (Synchronization sync : List.of(Synchronization.averageEvery(8), Synchronization.elastic(8, 0.9))) {
            SparkTraining.Result r = SparkTraining.train(sc, config, s.sync(sync));
            List<Double> loss = r.history().get("loss");
            assertTrue(loss.get(1) < loss.get(0), sync.mode() + ": the loss falls: " + loss);
            // 96 steps: 12 exchanges of the weights (averaging: one more at the end) against 96 of the gradients
            double ratio = (double) r.bytesPerStep() / all.bytesPerStep();
            assertTrue(ratio > 0.1 && ratio < 0.15, sync.mode() + ": bytes per step " + r.bytesPerStep() + " vs " + all.bytesPerStep());
            System.out.printf("spark %s every 8: loss %s, %d bytes/step (all-reduce %d)%n", sync.mode(), loss, r.bytesPerStep(), all.bytesPerStep());
        }
    }

    /** A data source the workers cannot read (the driver never opened it) fails the run at once, naming worker and file. */
    @Test
    void dataAWorkerCannotReadFailsFastNamingIt(@TempDir Path dir) throws IOException {
        Path config = config(dir, 256);
        Files.delete(dir.resolve("x.npy"));
        long t0 = System.nanoTime();
        ConfigException e = assertThrows(ConfigException.class, () -> SparkTraining.train(sc, config, SparkTraining.Settings.workers(2)));
        assertTrue(e.getMessage().contains("cannot set up its replica") && e.getMessage().contains("x.npy") && e.getMessage().contains("worker"),
                e.getMessage());
        assertTrue(System.nanoTime() - t0 < 60_000_000_000L, "failed fast");
    }

    /**
     * BatchNormalization's moving means come back averaged over the replicas: with the weights held still (learning
     * rate 0) they are exactly those one process gathers at the whole batch; worker 0's own would be off.
     */
    @Test
    void movingStatisticsAreAveragedOverTheReplicas(@TempDir Path dir) throws IOException {
        Path config = config(dir, 20 * 128);
        Files.writeString(config, Files.readString(config)
                .replace("{\"type\": \"Dense\", \"units\": 128, \"activation\": \"relu\"}",
                        "{\"type\": \"Dense\", \"units\": 128, \"activation\": \"relu\"}, {\"type\": \"BatchNormalization\", \"momentum\": 0.9}")
                .replace("{\"type\": \"adam\", \"learning_rate\": 0.001}", "{\"type\": \"sgd\", \"learning_rate\": 0.0}"));
        Run single = Run.prepare(RunConfig.read(config));
        Model one = single.model();
        one.fit(single.train(), single.fitOptions(new Run.Overrides(1, 128, 5L)));
        SparkTraining.Result r = SparkTraining.train(sc, config, SparkTraining.Settings.workers(2).batchPerWorker(64).epochs(1).seed(5));
        String mean = one.getWeights().keySet().stream().filter(k -> k.endsWith("moving_mean")).findFirst().orElseThrow();
        INDArray a = one.getWeights().get(mean);
        INDArray b = r.model().getWeights().get(mean);
        double rel = a.sub(b).norm2Number().doubleValue() / a.norm2Number().doubleValue();
        assertTrue(rel <= 1e-5, mean + ": ||Δ||/||m|| = " + rel);
    }
}
