package dlkit.spark;

import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.files.OutputPaths;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** {@code dl train CONFIG --spark MASTER}: a run config trained on Spark, written to the same run directory as a local run. */
public final class SparkRun {
    private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\d+|\\*)(?:,\\s*\\d+)?])?");

    private SparkRun() {}

    private static @Nullable Path codeSource() {
        try {
            return Path.of(SparkRun.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Trains {@code configFile} on {@code master} ({@code local[N]}, {@code spark://host:port}, ...) with {@code workers}
     * tasks (null: N of {@code local[N]}), the config's batch size split over them, the rest of the config's
     * {@code distributed} section as it says, and writes {@code out}.
     */
    public static Run.@NonNull Result train(@NonNull String master, @Nullable Integer workers, @NonNull Path configFile, Run.@NonNull Overrides o,
                                            @NonNull Path out) {
        Run run = Run.prepare(RunConfig.read(configFile));
        RunConfig.DistributedConfig d = run.config().distributed() != null ? run.config().distributed() : RunConfig.DistributedConfig.DEFAULT;
        return train(d.with(master, workers), run, o, out, null);
    }

    /**
     * Trains a prepared run with {@code d} (its master set) and writes {@code out} as a local run does, drawing worker
     * 0's progress on {@code progress} (null: quiet).
     */
    public static Run.@NonNull Result train(RunConfig.@NonNull DistributedConfig d, @NonNull Run run, Run.@NonNull Overrides o, @NonNull Path out,
                                            java.io.@Nullable PrintStream progress) {
        Plan plan = plan(d, run, o, out);
        SparkConf conf = new SparkConf().setMaster(plan.master()).setAppName("dlkit " + run.config().name());
        if (plan.loopback()) {
            conf.set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1").set("spark.ui.enabled", "false");
        } else {
            // the executors get this module's jar from the driver; dlkit's other jars must be on their classpath
            // already (spark/bin/standalone puts them there; spark-submit ships the shaded jar instead)
            Path self = codeSource();
            if (self != null && self.toString().endsWith(".jar")) {
                conf.set("spark.jars", self.toString());
            }
        }
        return trainOn(conf, plan, d, run, o, out, progress);
    }

    /** What a run needs settled before Spark starts: the master, the workers, where worker 0 checkpoints, the global batch. */
    record Plan(String master, int workers, boolean loopback, @Nullable Path checkpointDir, int globalBatch) {}

    /** Checks the settings against the run (before any Spark starts: a bad setting fails fast). */
    static Plan plan(RunConfig.DistributedConfig d, Run run, Run.Overrides o, Path out) {
        String master = d.master();
        if (master == null) {
            throw new ConfigException("distributed.master", "where to train? give --spark MASTER or \"master\" in \"distributed\"");
        }
        Integer workers = d.workers();
        Matcher local = LOCAL.matcher(master);
        boolean isLocal = local.matches();
        if (!isLocal && !master.startsWith("spark://") && !master.startsWith("yarn") && !master.startsWith("k8s://")) {
            throw new ConfigException("--spark", "unknown Spark master \"" + master + "\"; expected local[N], spark://HOST:PORT, yarn or k8s://...");
        }
        int n;
        if (workers != null) {
            n = workers;
        } else if (isLocal && local.group(1) != null && !local.group(1).equals("*")) {
            n = Integer.parseInt(local.group(1));
        } else {
            throw new ConfigException("--workers", "how many workers to train on " + master + "? give --workers N");
        }
        boolean loopback = isLocal || master.startsWith("spark://127.0.0.1:") || master.startsWith("spark://localhost:");
        Path checkpointDir = d.checkpointDir() != null ? OutputPaths.inside(out, d.checkpointDir(), "distributed.checkpoint_dir")
                : loopback ? out.resolve("checkpoint") : null;
        RunConfig config = run.config();
        SparkTraining.checkCallbacks(config);
        int global = o.batchSize() != null ? o.batchSize() : config.fit().batchSize();
        if (global < n) {
            throw new ConfigException("fit.batch_size", "a global batch of " + global + " cannot be split over " + n + " workers");
        }
        if (checkpointDir != null) {
            // what a killed worker 0 was writing (.checkpoint.dlk.<random>.tmp): never complete, never read
            dlkit.files.AtomicFile.removeStale(checkpointDir);
        }
        return new Plan(master, n, loopback, checkpointDir, global);
    }

    /** Starts Spark with {@code conf} (plus dlkit's settings), trains the planned run, writes {@code out}, stops Spark. */
    static Run.Result trainOn(SparkConf conf, Plan plan, RunConfig.DistributedConfig d, Run run, Run.Overrides o, Path out,
                              java.io.@Nullable PrintStream progress) {
        String master = plan.master();
        conf.setIfMissing("spark.app.name", "dlkit " + run.config().name());
        conf.set("spark.ui.showConsoleProgress", "false").set("spark.log.level", "WARN")
                // a barrier stage that cannot be scheduled fails instead of waiting for slots forever
                .set("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "1");
        if (!plan.loopback()) {
            // one replica per executor JVM, each with room for the data set and the model
            conf.setIfMissing("spark.executor.cores", "1").setIfMissing("spark.executor.memory", "2g");
        }
        JavaSparkContext sc;
        try {
            sc = new JavaSparkContext(conf);
        } catch (RuntimeException e) {
            throw new ConfigException("--spark", "cannot start Spark with master " + master + ": " + e.getMessage(), e);
        }
        sc.setLogLevel("WARN");
        try {
            int n = plan.workers();
            SparkTraining.Settings s = SparkTraining.Settings.from(d, n, plan.globalBatch());
            if (o.epochs() != null) {
                s = s.epochs(o.epochs());
            }
            if (o.seed() != null) {
                s = s.seed(o.seed());
            }
            if (plan.checkpointDir() != null) {
                s = s.checkpoint(plan.checkpointDir(), d.checkpointEverySteps());
            }
            SparkTraining.Result r = SparkTraining.train(sc, run.config().file(), s, progress);
            Map<String, Object> spark = new LinkedHashMap<>();
            spark.put("master", master);
            spark.put("workers", n);
            spark.put("batch_per_worker", s.batchPerWorker());
            spark.put("sync", d.sync());
            if (!d.sync().equals("allreduce")) {
                spark.put("every", d.every());
            }
            if (d.sync().equals("easgd")) {
                spark.put("beta", d.beta());
            }
            spark.put("steps", r.steps());
            spark.put("attempts", r.attempts());
            spark.put("steps_redone", r.stepsRedone());
            spark.put("checkpoint", plan.checkpointDir() == null ? null : plan.checkpointDir().resolve(SparkTraining.CHECKPOINT).toString());
            spark.put("bytes_sent_per_step_per_worker", r.bytesPerStep());
            spark.put("allreduce_share_of_worker_time", r.allReduceShare());
            spark.put("training_seconds", Math.round(r.fitSeconds() * 1000) / 1000.0);
            spark.put("samples_per_second", r.fitSeconds() == 0 ? 0 : Math.round(r.samples() / r.fitSeconds()));
            return run.record(r.model(), r.history(), r.seconds(), out, Map.of("spark", spark));
        } catch (Exception e) {
            // Scala throws SparkException (checked in Java's eyes) undeclared
            if (e instanceof RuntimeException re && !(e.getCause() instanceof SparkException)) {
                throw re;
            }
            throw new DlkitException("training on " + master + " failed: " + e.getMessage(), e);
        } finally {
            sc.stop();
        }
    }
}
