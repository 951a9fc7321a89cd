package dlkit.spark;

import dlkit.ConfigException;
import dlkit.data.ArrayDataset;
import dlkit.data.Dataset;
import dlkit.model.Checkpoint;
import dlkit.model.FitOptions;
import dlkit.model.GradientExchange;
import dlkit.model.History;
import dlkit.model.Model;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Synchronous data-parallel training of a run config on Spark: one barrier stage of {@code workers} tasks, scheduled
 * together, each a replica of the model on its shard of every global batch (see {@link dlkit.data.ArrayDataset#shard}),
 * the gradients averaged every step by a {@link RingAllReduce} between the tasks. Spark carries only the run config
 * to the tasks, the socket addresses between them (through the barrier context) and worker 0's trained model back;
 * the gradients go task to task. N workers at per-worker batch b train the model one process trains at batch N·b.
 */
public final class SparkTraining {
    private SparkTraining() {}

    /**
     * How to run: {@code workers} tasks at {@code batchPerWorker} samples each (null: the config's batch size split
     * over the workers), the config's epochs and seed unless given, how long a task waits for its peers, how the
     * replicas keep in step, and where worker 0 checkpoints (null: nowhere; a directory every executor can read and
     * worker 0 can write) every epoch and every {@code checkpointEverySteps} steps (0: epochs only).
     */
    public record Settings(int workers, @Nullable Integer batchPerWorker, @Nullable Integer epochs, @Nullable Long seed, int timeoutMillis,
                           @NonNull Synchronization sync, @Nullable String checkpointDir, int checkpointEverySteps) implements Serializable {
        public Settings {
            if (workers < 1) {
                throw new ConfigException("workers", "expected a positive number of workers, got " + workers);
            }
            if (batchPerWorker != null && batchPerWorker < 1) {
                throw new ConfigException("batch_size", "expected a positive per-worker batch size, got " + batchPerWorker);
            }
            if (timeoutMillis < 1) {
                throw new ConfigException("timeout", "expected a positive timeout in milliseconds, got " + timeoutMillis);
            }
            if (checkpointEverySteps < 0) {
                throw new ConfigException("checkpoint_every_steps", "expected 0 (epochs only) or a positive number of steps, got "
                        + checkpointEverySteps);
            }
        }

        public static @NonNull Settings workers(int workers) {
            return new Settings(workers, null, null, null, 120_000, Synchronization.allReduce(), null, 0);
        }

        public @NonNull Settings batchPerWorker(int b) {
            return new Settings(workers, b, epochs, seed, timeoutMillis, sync, checkpointDir, checkpointEverySteps);
        }

        public @NonNull Settings epochs(int e) {
            return new Settings(workers, batchPerWorker, e, seed, timeoutMillis, sync, checkpointDir, checkpointEverySteps);
        }

        public @NonNull Settings seed(long s) {
            return new Settings(workers, batchPerWorker, epochs, s, timeoutMillis, sync, checkpointDir, checkpointEverySteps);
        }

        public @NonNull Settings timeoutMillis(int t) {
            return new Settings(workers, batchPerWorker, epochs, seed, t, sync, checkpointDir, checkpointEverySteps);
        }

        public @NonNull Settings sync(@NonNull Synchronization v) {
            return new Settings(workers, batchPerWorker, epochs, seed, timeoutMillis, v, checkpointDir, checkpointEverySteps);
        }

        /** A run config's {@code distributed} settings for {@code workers} replicas sharing a global batch of {@code globalBatch}. */
        public static @NonNull Settings from(RunConfig.@NonNull DistributedConfig d, int workers, int globalBatch) {
            return workers(workers).batchPerWorker(Math.max(1, globalBatch / workers))
                    .timeoutMillis(Math.toIntExact(Math.min(Integer.MAX_VALUE, d.timeoutSeconds() * 1000L)))
                    .sync(new Synchronization(d.sync(), d.every(), d.beta()));
        }

        /** Worker 0 checkpoints into {@code dir} every epoch and every {@code everySteps} steps (0: epochs only). */
        public @NonNull Settings checkpoint(@NonNull Path dir, int everySteps) {
            return new Settings(workers, batchPerWorker, epochs, seed, timeoutMillis, sync, dir.toAbsolutePath().toString(), everySteps);
        }
    }

    /**
     * The trained model (worker 0's replica), its history, and what the exchange cost: bytes each worker sent per
     * step, and each worker's share of its training time spent exchanging; the samples trained on (all workers, all
     * epochs, in the attempt that finished), the whole job's seconds and the slowest worker's training seconds; the
     * attempts of the barrier stage that trained (more than one when a worker was lost) and the steps retried
     * attempts trained again after resuming from the checkpoint.
     */
    public record Result(@NonNull Model model, @NonNull Map<String, List<Double>> history, long steps, long bytesPerStep,
                         double @NonNull [] allReduceShare, double seconds, long samples, double fitSeconds, int attempts,
                         long stepsRedone) {}

    /** What one task sends back to the driver: the model only from worker 0, as a .dlk archive. */
    record ReplicaResult(int rank, byte @Nullable [] archive, LinkedHashMap<String, ArrayList<Double>> history, long steps, long stepsHere,
                         long bytesSent, long exchangeNanos, long fitNanos, long samples, @Nullable String problem) implements Serializable {
        /** Every task's answer when some task could not set up its replica (a retry would find the same). */
        static ReplicaResult failed(int rank, String problem) {
            return new ReplicaResult(rank, null, new LinkedHashMap<>(), 0, 0, 0, 0, 0, 0, problem);
        }
    }

    /** A failure to inject (tests in local mode, where the tasks run in this JVM): worker {@code rank} throws after step {@code step} of the first attempt. */
    record Fault(int rank, long step) {}

    static volatile @Nullable Fault fault;

    /** Trains {@code configFile}'s model on {@code sc}; the file (and its data) must be readable at the same path on every executor. */
    public static @NonNull Result train(@NonNull JavaSparkContext sc, @NonNull Path configFile, @NonNull Settings settings) {
        return train(sc, configFile, settings, null);
    }

    /** {@link #train(JavaSparkContext, Path, Settings)} drawing worker 0's progress on {@code progressOut} (null: none). */
    public static @NonNull Result train(@NonNull JavaSparkContext sc, @NonNull Path configFile, @NonNull Settings settings,
                                        java.io.@Nullable PrintStream progressOut) {
        String text = readText(configFile);
        RunConfig config = RunConfig.fromJson(text, configFile);
        JavaRDD<Integer> ranks = sc.parallelize(IntStream.range(0, settings.workers()).boxed().toList(), settings.workers());
        return run(sc, ranks.rdd(), false, text, config, settings, progressOut);
    }

    /** One training sample from a row of a Spark {@code Dataset}, with its row number (a replica sorts its partition by it). */
    public record Sample(long index, float @NonNull [] x, float @NonNull [] y) implements Serializable {}

    /**
     * Trains {@code configText}'s model (its {@code data.train} ignored; {@code data} may be absent) on
     * {@code samples}, already in {@code settings.workers()} partitions of sizes within one of each other: each
     * replica trains on its partition (trimmed to the smallest, so all take the same steps). See {@link dlkit.spark.ml.DlkitEstimator}.
     */
    public static @NonNull Result trainOnSamples(@NonNull JavaSparkContext sc, @NonNull JavaRDD<Sample> samples, @NonNull String configText,
                                                 @NonNull Path configPath, @NonNull Settings settings, java.io.@Nullable PrintStream progressOut) {
        if (samples.getNumPartitions() != settings.workers()) {
            throw new IllegalArgumentException(samples.getNumPartitions() + " partitions for " + settings.workers() + " workers");
        }
        RunConfig config = RunConfig.fromJson(configText, configPath, false);
        return run(sc, samples.rdd(), true, configText, config, settings, progressOut);
    }

    private static <T> Result run(JavaSparkContext sc, RDD<T> input, boolean fromSamples, String configText, RunConfig config, Settings settings,
                                  java.io.@Nullable PrintStream progressOut) {
        Path configFile = config.file();
        checkCallbacks(config);
        int slots = awaitSlots(sc, settings.workers(), settings.timeoutMillis());
        if (settings.workers() > slots) {
            throw new ConfigException("workers", settings.workers() + " workers need " + settings.workers()
                    + " task slots scheduled together, but the cluster has " + slots + " (" + sc.master() + ")"
                    + (sc.isLocal() ? "" : " after waiting " + settings.timeoutMillis() / 1000 + " s for executors"));
        }
        int batch = settings.batchPerWorker() != null ? settings.batchPerWorker()
                : Math.max(1, config.fit().batchSize() / settings.workers());
        // every replica must start from the same weights and see the same order
        long seed = settings.seed() != null ? settings.seed() : config.fit().seed() != null ? config.fit().seed() : System.nanoTime();
        String driverHost = sc.getConf().get("spark.driver.host", "127.0.0.1");
        List<ReplicaResult> results;
        long t0 = System.nanoTime();
        double seconds;
        int attempts;
        long redone;
        try (Progress progress = new Progress(driverHost, progressOut)) {
            Task<T> task = new Task<>(configText, configFile.toAbsolutePath().toString(), batch, seed, settings, progress.address(), fromSamples);
            ClassTag<ReplicaResult> tag = ClassTag$.MODULE$.apply(ReplicaResult.class);
            RDD<ReplicaResult> trained = input.barrier().mapPartitions(task, false, tag);
            // Through a shuffle, the barrier stage is a map stage: Spark retries a failed one (all tasks again, each
            // resuming from the checkpoint) where it would abort a failed barrier result stage.
            results = new ArrayList<>(JavaRDD.fromRDD(trained, tag).repartition(1).collect());
            seconds = (System.nanoTime() - t0) / 1e9;
            attempts = Math.max(1, progress.attempts());
            redone = progress.stepsRedone();
        }
        results.sort(Comparator.comparingInt(ReplicaResult::rank));
        for (ReplicaResult r : results) {
            if (r.problem() != null) {
                throw new ConfigException(null, "on the cluster, " + r.problem());
            }
        }
        ReplicaResult first = results.get(0);
        Model model;
        try {
            Path tmp = Files.createTempFile("dlkit-spark-", ".dlk");
            try {
                Files.write(tmp, first.archive());
                model = Model.load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not read back the trained model from worker 0", e);
        }
        double[] share = results.stream().mapToDouble(r -> r.fitNanos() == 0 ? 0 : (double) r.exchangeNanos() / r.fitNanos()).toArray();
        Map<String, List<Double>> history = new LinkedHashMap<>(first.history());
        long samples = results.stream().mapToLong(ReplicaResult::samples).sum();
        double fitSeconds = results.stream().mapToLong(ReplicaResult::fitNanos).max().orElse(0) / 1e9;
        return new Result(model, history, first.steps(), first.stepsHere() == 0 ? 0 : first.bytesSent() / first.stepsHere(), share, seconds,
                samples, fitSeconds, attempts, redone);
    }

    /**
     * Callbacks every replica can run alike: learning-rate schedules by epoch, and stopping on a non-finite loss
     * (the averaged gradient makes it non-finite everywhere at once). Others decide on each replica's own logs or
     * write files, and could leave the replicas out of step: refused until they run on the driver.
     */
    static final java.util.Set<String> REPLICA_CALLBACKS = java.util.Set.of("LearningRateScheduler", "TerminateOnNaN");

    static void checkCallbacks(RunConfig config) {
        List<com.fasterxml.jackson.databind.JsonNode> cbs = config.fit().callbacks();
        for (int i = 0; i < cbs.size(); i++) {
            String type = cbs.get(i).path("type").asText();
            if (!REPLICA_CALLBACKS.contains(type)) {
                throw new ConfigException("fit.callbacks[" + i + "]", type + " does not run on Spark yet (on Spark: " + REPLICA_CALLBACKS + ")");
            }
        }
    }

    /**
     * The task slots the barrier stage can use: local[N]'s N, or on a cluster the executors registered (one core
     * each: {@link SparkRun} sets {@code spark.executor.cores=1}), waiting up to {@code timeoutMillis} for
     * {@code wanted} of them rather than letting the stage wait for slots that never come.
     */
    static int awaitSlots(JavaSparkContext sc, int wanted, long timeoutMillis) {
        if (sc.isLocal()) {
            return sc.defaultParallelism();
        }
        int cores = Integer.parseInt(sc.getConf().get("spark.executor.cores", "1"));
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        int slots;
        while (true) {
            // getExecutorMemoryStatus lists the driver's block manager too
            slots = Math.max(0, sc.sc().getExecutorMemoryStatus().size() - 1) * cores;
            if (slots >= wanted || System.nanoTime() > deadline) {
                return slots;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return slots;
            }
        }
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the run config", e);
        }
    }

    /**
     * One barrier task: join the ring, find the checkpoint (if any; the same on every replica), train this replica,
     * hand back the model (worker 0) and the exchange's figures.
     */
    static final class Task<T> extends AbstractFunction1<scala.collection.Iterator<T>, scala.collection.Iterator<ReplicaResult>>
            implements Serializable {
        private final String configText;
        private final String configPath;
        private final int batch;
        private final long seed;
        private final Settings settings;
        private final String progressAddress;
        /** The partition holds {@link Sample}s to train on; otherwise it is the rank alone and the config's data is sharded. */
        private final boolean samples;

        Task(String configText, String configPath, int batch, long seed, Settings settings, String progressAddress, boolean samples) {
            this.configText = configText;
            this.configPath = configPath;
            this.batch = batch;
            this.seed = seed;
            this.settings = settings;
            this.progressAddress = progressAddress;
            this.samples = samples;
        }

        @Override
        public scala.collection.Iterator<ReplicaResult> apply(scala.collection.Iterator<T> partition) {
            return scala.jdk.javaapi.CollectionConverters.asScala(List.of(run(partition)).iterator());
        }

        /** This partition's samples in row order, as one data set. */
        private static ArrayDataset dataset(scala.collection.Iterator<?> partition) {
            List<Sample> rows = new ArrayList<>();
            while (partition.hasNext()) {
                rows.add((Sample) partition.next());
            }
            rows.sort(Comparator.comparingLong(Sample::index));
            int fx = rows.isEmpty() ? 1 : rows.get(0).x().length;
            int fy = rows.isEmpty() ? 1 : rows.get(0).y().length;
            float[] x = new float[rows.size() * fx];
            float[] y = new float[rows.size() * fy];
            for (int i = 0; i < rows.size(); i++) {
                Sample r = rows.get(i);
                if (r.x().length != fx || r.y().length != fy) {
                    throw new ConfigException("featuresCol", "row " + r.index() + " has " + r.x().length + " features and " + r.y().length
                            + " label values; the first row of its partition has " + fx + " and " + fy);
                }
                System.arraycopy(r.x(), 0, x, i * fx, fx);
                System.arraycopy(r.y(), 0, y, i * fy, fy);
            }
            return new ArrayDataset(x, dlkit.tensor.Shape.of(fx), y, fy);
        }

        private ReplicaResult run(scala.collection.Iterator<T> partition) {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId();
            int attempt = ctx.stageAttemptNumber();
            String address = ctx.getTaskInfos()[rank].address();
            String host = address.substring(0, address.lastIndexOf(':') < 0 ? address.length() : address.lastIndexOf(':'));
            // Each task reads the config and its data itself: what one cannot read fails the run at once, naming the
            // worker and the setting, instead of failing every retry of the stage the same way.
            Run run;
            Dataset shard;
            String problem = "";
            try {
                if (samples) {
                    run = Run.prepare(RunConfig.fromJson(configText, Path.of(configPath), false), dataset(partition));
                    shard = run.train(); // trimmed below, once every replica has its own
                } else {
                    run = Run.prepare(RunConfig.fromJson(configText, Path.of(configPath)));
                    shard = run.train().shard(rank, settings.workers(), batch);
                }
            } catch (RuntimeException e) {
                run = null;
                shard = null;
                problem = "worker " + rank + " (" + host + ") cannot set up its replica: " + e.getMessage();
            }
            for (String p : ctx.allGather(problem)) {
                if (!p.isEmpty()) {
                    return ReplicaResult.failed(rank, p);
                }
            }
            if (samples) {
                // every replica must take the same steps: all train on as many samples as the smallest partition has
                int fewest = Integer.MAX_VALUE;
                for (String n : ctx.allGather(Integer.toString(run.train().count()))) {
                    fewest = Math.min(fewest, Integer.parseInt(n));
                }
                shard = run.train().slice(0, fewest);
            }
            Path resumeCopy = null;
            try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getByName(host))) {
                String[] all = ctx.allGather(host + ":" + server.getLocalPort());
                List<InetSocketAddress> peers = new ArrayList<>();
                for (String a : all) {
                    int c = a.lastIndexOf(':');
                    peers.add(new InetSocketAddress(a.substring(0, c), Integer.parseInt(a.substring(c + 1))));
                }
                Path shared = null;
                if (settings.checkpointDir() != null) {
                    shared = Path.of(settings.checkpointDir()).resolve(CHECKPOINT);
                    resumeCopy = copyCheckpoint(shared);
                    agreeOnCheckpoint(ctx, resumeCopy, shared);
                    if (rank == 0) {
                        Files.createDirectories(shared.getParent());
                    }
                }
                try (RingAllReduce ring = new RingAllReduce(rank, peers, server, settings.timeoutMillis())) {
                    Timed timed = new Timed(settings.sync().over(ring));
                    Model model = run.model();
                    // the callbacks checkCallbacks allows write no files: no directory of their own needed
                    List<dlkit.model.Callback> callbacks = new ArrayList<>(run.callbacks(Path.of(configPath).getParent()));
                    if (shared != null) {
                        callbacks.add(new ReplicaCheckpoint(resumeCopy, rank == 0 ? shared : null, settings.checkpointEverySteps()));
                    }
                    if (rank == 0) {
                        callbacks.add(new Progress.Reporter(progressAddress, attempt));
                    }
                    Fault f = fault;
                    if (f != null && f.rank() == rank && attempt == 0) {
                        callbacks.add(new Injected(f.step()));
                    }
                    FitOptions options = run.fitOptions(new Run.Overrides(settings.epochs(), batch, seed)).gradientExchange(timed)
                            .callbacks(callbacks.toArray(new dlkit.model.Callback[0]));
                    long t0 = System.nanoTime();
                    // restored only after the last barrier: no replica may change the count while another still trains
                    Threads threads = Threads.share(ctx, host);
                    History h;
                    try {
                        h = model.fit(shard, options);
                    } catch (RuntimeException e) {
                        threads.close();
                        throw e;
                    }
                    long fitNanos = System.nanoTime() - t0;
                    averageMovingStatistics(model, ring);
                    byte[] archive = null;
                    if (rank == 0) {
                        Path tmp = Files.createTempFile("dlkit-replica-", ".dlk");
                        try {
                            model.save(tmp);
                            archive = Files.readAllBytes(tmp);
                        } finally {
                            Files.deleteIfExists(tmp);
                        }
                    }
                    LinkedHashMap<String, ArrayList<Double>> hist = new LinkedHashMap<>();
                    h.asMap().forEach((k, v) -> hist.put(k, new ArrayList<>(v)));
                    // nobody closes its sockets while a peer may still be reading from them
                    ctx.barrier();
                    threads.close();
                    return new ReplicaResult(rank, archive, hist, model.iterations(), timed.steps, ring.bytesSent(), timed.nanos, fitNanos,
                            timed.steps * batch, null);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("worker " + rank + ": " + e.getMessage(), e);
            } finally {
                if (resumeCopy != null) {
                    try {
                        Files.deleteIfExists(resumeCopy);
                    } catch (IOException e) {
                        // a temporary file left behind
                    }
                }
            }
        }

        /**
         * The weights no gradient trains (BatchNormalization's moving mean and variance) are each replica's own
         * running averages over its own batches: the model handed on takes their mean over the replicas, as if one
         * process had seen every batch (exactly so for the moving means, which are linear in the batch means).
         */
        private static void averageMovingStatistics(Model model, RingAllReduce ring) {
            Map<String, org.nd4j.linalg.api.ndarray.INDArray> weights = model.getWeights();
            java.util.Set<String> trained = model.getGradients().keySet();
            List<String> moving = weights.keySet().stream().filter(k -> !trained.contains(k)).sorted().toList();
            if (moving.isEmpty() || ring.size() == 1) {
                return;
            }
            int total = moving.stream().mapToInt(k -> (int) weights.get(k).length()).sum();
            float[] flat = new float[total];
            int at = 0;
            for (String k : moving) {
                float[] v = weights.get(k).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
                System.arraycopy(v, 0, flat, at, v.length);
                at += v.length;
            }
            ring.sum(flat, total);
            at = 0;
            for (String k : moving) {
                org.nd4j.linalg.api.ndarray.INDArray w = weights.get(k);
                float[] v = new float[(int) w.length()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = flat[at + i] / ring.size();
                }
                at += v.length;
                weights.put(k, org.nd4j.linalg.factory.Nd4j.create(v, w.shape(), 'c').castTo(w.dataType()));
            }
            model.setWeights(weights);
        }

        /** This task's own copy of the checkpoint (worker 0 may replace the shared file while others read it), or null. */
        private static @Nullable Path copyCheckpoint(Path shared) throws IOException {
            if (!Files.exists(shared)) {
                return null;
            }
            Path copy = Files.createTempFile("dlkit-resume-", ".dlk");
            try {
                Files.copy(shared, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.NoSuchFileException e) {
                Files.deleteIfExists(copy);
                return null;
            }
            return copy;
        }

        /**
         * Every replica must resume from the same point: a worker of the lost attempt still finishing its last step
         * could replace the checkpoint between two replicas' reads. If they differ, fail this attempt (Spark retries).
         */
        private static void agreeOnCheckpoint(BarrierTaskContext ctx, @Nullable Path copy, Path shared) {
            String mine = "none";
            if (copy != null) {
                Checkpoint.Info info = Checkpoint.info(copy);
                mine = "epoch " + (info.epoch() + 1) + " batch " + info.batchesDone() + (info.completed() ? " (completed)" : "");
            }
            String[] all = ctx.allGather(mine);
            for (String other : all) {
                if (!other.equals(mine)) {
                    throw new IllegalStateException("the workers found different checkpoints in " + shared + " (" + String.join(", ", all)
                            + "); the stage is retried");
                }
            }
        }
    }

    /**
     * Replicas on one machine share its cores: with k of them on this host (local[N], or several executors per
     * worker), each runs its GEMMs and libnd4j ops on cores/k threads instead of all of them (k replicas of 2
     * threads each on 2 cores fight over them). Process-wide settings, so the replicas of one JVM set the same
     * value; the previous one comes back when training ends.
     */
    private record Threads(int blas, int nd4j) implements AutoCloseable {
        static Threads share(BarrierTaskContext ctx, String host) {
            long here = java.util.Arrays.stream(ctx.getTaskInfos()).filter(t -> t.address().startsWith(host + ":") || t.address().equals(host)).count();
            Threads before = new Threads(dlkit.tensor.Native.blasThreads(), org.nd4j.linalg.factory.Nd4j.getEnvironment().maxThreads());
            if (here > 1) {
                int each = (int) Math.max(1, Runtime.getRuntime().availableProcessors() / here);
                dlkit.tensor.Native.setBlasThreads(Math.min(before.blas(), each));
                org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxThreads(Math.min(before.nd4j(), each));
            }
            return before;
        }

        @Override
        public void close() {
            dlkit.tensor.Native.setBlasThreads(blas);
            org.nd4j.linalg.factory.Nd4j.getEnvironment().setMaxThreads(nd4j);
        }
    }

    /** The checkpoint's file name in the checkpoint directory. */
    public static final String CHECKPOINT = "checkpoint.dlk";

    /** The failure {@link #fault} asks for. */
    private static final class Injected implements dlkit.model.Callback {
        private final long step;

        Injected(long step) {
            this.step = step;
        }

        @Override
        public void onBatchEnd(int batch, Map<String, Double> logs, dlkit.model.TrainingState state) {
            if (state.model().iterations() == step) {
                throw new IllegalStateException("injected failure after step " + step);
            }
        }
    }

    /** The all-reduce with the time spent in it. */
    static final class Timed implements GradientExchange {
        private final GradientExchange inner;
        long nanos;
        /** Steps this replica trained in this attempt (a resumed one starts past 0). */
        long steps;

        Timed(GradientExchange inner) {
            this.inner = inner;
        }

        @Override
        public void average(float @NonNull [] grads, int count, int rows) {
            long t0 = System.nanoTime();
            inner.average(grads, count, rows);
            nanos += System.nanoTime() - t0;
        }

        @Override
        public void atTrainBegin(float @NonNull [] params, int count) {
            inner.atTrainBegin(params, count);
        }

        @Override
        public void afterStep(float @NonNull [] params, int count, long iteration) {
            steps++;
            long t0 = System.nanoTime();
            inner.afterStep(params, count, iteration);
            nanos += System.nanoTime() - t0;
        }

        @Override
        public void atTrainEnd(float @NonNull [] params, int count) {
            long t0 = System.nanoTime();
            inner.atTrainEnd(params, count);
            nanos += System.nanoTime() - t0;
        }
    }
}
