package dlkit.spark;

import dlkit.ConfigException;
import dlkit.data.Dataset;
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
     * over the workers), the config's epochs and seed unless given, and how long a task waits for its peers.
     */
    public record Settings(int workers, @Nullable Integer batchPerWorker, @Nullable Integer epochs, @Nullable Long seed, int timeoutMillis)
            implements Serializable {
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
        }

        public static @NonNull Settings workers(int workers) {
            return new Settings(workers, null, null, null, 120_000);
        }

        public @NonNull Settings batchPerWorker(int b) {
            return new Settings(workers, b, epochs, seed, timeoutMillis);
        }

        public @NonNull Settings epochs(int e) {
            return new Settings(workers, batchPerWorker, e, seed, timeoutMillis);
        }

        public @NonNull Settings seed(long s) {
            return new Settings(workers, batchPerWorker, epochs, s, timeoutMillis);
        }
    }

    /**
     * The trained model (worker 0's replica), its history, and what the exchange cost: bytes each worker sent per
     * step, and each worker's share of its training time spent in the all-reduce; the samples trained on (all
     * workers, all epochs), the whole job's seconds and the slowest worker's training seconds.
     */
    public record Result(@NonNull Model model, @NonNull Map<String, List<Double>> history, long steps, long bytesPerStep,
                         double @NonNull [] allReduceShare, double seconds, long samples, double fitSeconds) {}

    /** What one task sends back to the driver: the model only from worker 0, as a .dlk archive. */
    record ReplicaResult(int rank, byte @Nullable [] archive, LinkedHashMap<String, ArrayList<Double>> history, long steps, long bytesSent,
                         long exchangeNanos, long fitNanos, long samples) implements Serializable {}

    /** Trains {@code configFile}'s model on {@code sc}; the file (and its data) must be readable at the same path on every executor. */
    public static @NonNull Result train(@NonNull JavaSparkContext sc, @NonNull Path configFile, @NonNull Settings settings) {
        RunConfig config = RunConfig.read(configFile);
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
        Task task = new Task(readText(configFile), configFile.toAbsolutePath().toString(), settings.workers(), batch, settings.epochs(), seed,
                settings.timeoutMillis());
        JavaRDD<Integer> ranks = sc.parallelize(IntStream.range(0, settings.workers()).boxed().toList(), settings.workers());
        ClassTag<ReplicaResult> tag = ClassTag$.MODULE$.apply(ReplicaResult.class);
        long t0 = System.nanoTime();
        RDD<ReplicaResult> trained = ranks.rdd().barrier().mapPartitions(task, false, tag);
        List<ReplicaResult> results = new ArrayList<>(JavaRDD.fromRDD(trained, tag).collect());
        double seconds = (System.nanoTime() - t0) / 1e9;
        results.sort(Comparator.comparingInt(ReplicaResult::rank));
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
        return new Result(model, history, first.steps(), first.steps() == 0 ? 0 : first.bytesSent() / first.steps(), share, seconds, samples,
                fitSeconds);
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

    /** One barrier task: join the ring, train this replica, hand back the model (worker 0) and the exchange's figures. */
    static final class Task extends AbstractFunction1<scala.collection.Iterator<Integer>, scala.collection.Iterator<ReplicaResult>>
            implements Serializable {
        private final String configText;
        private final String configPath;
        private final int workers;
        private final int batch;
        private final @Nullable Integer epochs;
        private final long seed;
        private final int timeoutMillis;

        Task(String configText, String configPath, int workers, int batch, @Nullable Integer epochs, long seed, int timeoutMillis) {
            this.configText = configText;
            this.configPath = configPath;
            this.workers = workers;
            this.batch = batch;
            this.epochs = epochs;
            this.seed = seed;
            this.timeoutMillis = timeoutMillis;
        }

        @Override
        public scala.collection.Iterator<ReplicaResult> apply(scala.collection.Iterator<Integer> ranks) {
            return scala.jdk.javaapi.CollectionConverters.asScala(List.of(run()).iterator());
        }

        private ReplicaResult run() {
            BarrierTaskContext ctx = BarrierTaskContext.get();
            int rank = ctx.partitionId();
            String address = ctx.getTaskInfos()[rank].address();
            String host = address.substring(0, address.lastIndexOf(':') < 0 ? address.length() : address.lastIndexOf(':'));
            try (ServerSocket server = new ServerSocket(0, 16, InetAddress.getByName(host))) {
                String[] all = ctx.allGather(host + ":" + server.getLocalPort());
                List<InetSocketAddress> peers = new ArrayList<>();
                for (String a : all) {
                    int c = a.lastIndexOf(':');
                    peers.add(new InetSocketAddress(a.substring(0, c), Integer.parseInt(a.substring(c + 1))));
                }
                try (RingAllReduce ring = new RingAllReduce(rank, peers, server, timeoutMillis)) {
                    Timed timed = new Timed(ring);
                    Run run = Run.prepare(RunConfig.fromJson(configText, Path.of(configPath)));
                    Model model = run.model();
                    // the callbacks checkCallbacks allows write no files: no directory of their own needed
                    FitOptions options = run.fitOptions(new Run.Overrides(epochs, batch, seed)).gradientExchange(timed)
                            .callbacks(run.callbacks(Path.of(configPath).getParent()).toArray(new dlkit.model.Callback[0]));
                    Dataset shard = run.train().shard(rank, workers, batch);
                    long t0 = System.nanoTime();
                    History h = model.fit(shard, options);
                    long fitNanos = System.nanoTime() - t0;
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
                    int epochsRun = h.epochs().size();
                    return new ReplicaResult(rank, archive, hist, ring.calls(), ring.bytesSent(), timed.nanos, fitNanos, epochsRun * shard.size());
                }
            } catch (IOException e) {
                throw new UncheckedIOException("worker " + rank + ": " + e.getMessage(), e);
            }
        }
    }

    /** The all-reduce with the time spent in it. */
    static final class Timed implements GradientExchange {
        private final GradientExchange inner;
        long nanos;

        Timed(GradientExchange inner) {
            this.inner = inner;
        }

        @Override
        public void average(float @NonNull [] grads, int count, int rows) {
            long t0 = System.nanoTime();
            inner.average(grads, count, rows);
            nanos += System.nanoTime() - t0;
        }
    }
}
