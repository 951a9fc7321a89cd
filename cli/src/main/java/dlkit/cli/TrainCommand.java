package dlkit.cli;

import dlkit.callbacks.BackupAndRestore;
import dlkit.callbacks.ProgressBar;
import dlkit.files.AtomicFile;
import dlkit.model.Callback;
import dlkit.model.Checkpoint;
import dlkit.model.Pretraining;
import dlkit.plot.ReconstructionGrid;
import dlkit.plot.TrainingCurves;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "train", mixinStandardHelpOptions = true, description = {
        "Train the model a run config describes.",
        "Writes DIR/model.dlk, DIR/history.csv, DIR/metrics.json and the curves in DIR/training.png and DIR/training.svg.",
        "Backs up to DIR/checkpoint.dlk every epoch and on SIGINT or SIGTERM: the same command with the same --output resumes a killed run where it stopped, and does nothing for a finished one. A checkpoint of another config in DIR is an error."})
final class TrainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG", description = "The run config (JSON).")
    Path config;

    @Option(names = "--no-pretrain", description = "Skip the config's \"pretrain\" section: train from scratch (to compare).")
    boolean noPretrain;

    @Option(names = "--epochs", description = "Override fit.epochs.")
    Integer epochs;

    @Option(names = "--batch-size", description = "Override fit.batch_size.")
    Integer batchSize;

    @Option(names = "--seed", description = "Override fit.seed.")
    Long seed;

    @Option(names = "--spark", paramLabel = "MASTER", description = "Train on Spark: local[N], spark://HOST:PORT, ... "
            + "(synchronous data parallelism; the config's batch size is split over the workers).")
    private String spark;

    @Option(names = "--workers", paramLabel = "N", description = "Spark workers (default: N of local[N]).")
    private Integer workers;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Output directory (default: runs/<config name>-<timestamp>).")
    Path output;

    @Option(names = {"-q", "--quiet"}, description = "No progress output.")
    boolean quiet;

    @Option(names = "--fresh", description = "Ignore and replace an existing checkpoint in the output directory.")
    boolean fresh;

    @Option(names = "--no-backup", description = "Do not write DIR/checkpoint.dlk (no resume after a crash).")
    boolean noBackup;

    @Override
    public Integer call() throws IOException {
        if (epochs != null && epochs < 1 || batchSize != null && batchSize < 1) {
            throw new dlkit.ConfigException(null, "--epochs and --batch-size must be positive integers");
        }
        RunConfig rc = RunConfig.read(config);
        Run run = Run.prepare(rc);
        Path out = output != null ? output
                : Path.of("runs", rc.name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try {
            Files.createDirectories(out);
            Path probe = Files.createTempFile(out, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new dlkit.ConfigException(null, "output directory " + out + " is not writable: " + e.getMessage());
        }
        RunConfig.DistributedConfig distributed = (rc.distributed() != null ? rc.distributed() : RunConfig.DistributedConfig.DEFAULT)
                .with(spark, workers);
        if (distributed.master() != null) {
            return trainOnSpark(run, distributed, out);
        }
        if (workers != null) {
            throw new dlkit.ConfigException("--workers", "--workers is a setting of --spark; give --spark MASTER too");
        }
        // What a killed run was writing when it died (.checkpoint.dlk.<random>.tmp): never complete, never read.
        AtomicFile.removeStale(out);
        List<Callback> callbacks = new ArrayList<>(run.callbacks(out));
        BackupAndRestore backup = callbacks.stream().filter(BackupAndRestore.class::isInstance).map(BackupAndRestore.class::cast)
                .findFirst().orElse(null);
        if (backup == null && !noBackup) {
            backup = new BackupAndRestore(out);
            callbacks.add(backup);
        }
        if (backup != null && backup.file().getParent() != null) {
            AtomicFile.removeStale(backup.file().getParent());
        }
        if (backup != null && fresh) {
            Files.deleteIfExists(backup.file());
        }
        if (backup != null && Files.exists(backup.file())) {
            Checkpoint.Info at;
            try {
                at = Checkpoint.info(backup.file());
            } catch (dlkit.ModelFileException e) {
                throw new dlkit.ModelFileException(e.getMessage() + "; --fresh starts the run over (and replaces it)", e);
            }
            Run.Overrides mine = new Run.Overrides(epochs, batchSize, seed);
            if (at.fingerprint() != null && !at.fingerprint().equals(run.fingerprint(mine))) {
                throw new dlkit.ModelFileException(out + " holds a run of another config (" + backup.file().getFileName()
                        + " was written by a different model, data, compile or fit setting); use --fresh to replace it, or another --output");
            }
            if (at.completed() && Files.exists(out.resolve("metrics.json"))) {
                System.out.println("dl: " + out + " already holds the finished run (" + backup.file().getFileName()
                        + ", metrics.json); nothing to train. Use another --output, or --fresh to train again.");
                return 0;
            }
            System.out.println("dl: resuming from " + backup.file() + " (epoch " + (at.epoch() + 1) + ", batch " + at.batchesDone() + ")");
        }
        if (!quiet) {
            callbacks.add(ProgressBar.toStdout());
        }
        Run.Overrides overrides = new Run.Overrides(epochs, batchSize, seed);
        if (run.hasPretraining() && !noPretrain) {
            if (backup != null && Files.exists(backup.file())) {
                System.out.println("dl: pretraining skipped: the checkpoint holds the weights it led to");
            } else {
                pretrain(run, overrides);
            }
        }
        AtomicInteger signalled = new AtomicInteger();
        Run.Result r = trainWithSignals(run, out, overrides, callbacks, backup, signalled);
        if (r.interrupted()) {
            System.err.println("dl: interrupted; checkpoint " + backup.file() + " saved: run the same command to resume");
            return signalled.get() != 0 ? signalled.get() : 130;
        }
        if (r.diverged()) {
            String last = backup != null && Files.exists(backup.file()) ? "; last good checkpoint: " + backup.file() : "";
            System.err.println("dl: error: training diverged: the loss became NaN or infinite at " + r.divergedAt()
                    + "; try a lower learning rate. History so far: " + out.resolve("history.csv") + last);
            return Dl.RUN_FAILED;
        }
        if (rc.data().autoencoding()) {
            writeReconstructions(run, out.resolve("reconstructions.png"));
        }
        drawCurves(r, out);
        if (!quiet) {
            printMetrics(r);
            System.out.printf(Locale.ROOT, "%d epochs in %.1f s; wrote %s%n", r.epochs(), r.seconds(), out.resolve("model.dlk"));
        }
        return 0;
    }

    private static void drawCurves(Run.Result r, Path out) {
        try {
            TrainingCurves.write(r.history().asMap(), out);
        } catch (RuntimeException | Error e) {
            // A missing font or display must not cost a finished run its results.
            System.err.println("dl: warning: could not draw training curves: " + e);
        }
    }

    private static void printMetrics(Run.Result r) {
        for (Map.Entry<String, Map<String, Double>> e : r.metrics().entrySet()) {
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s", e.getKey()));
            e.getValue().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s=%.4f", k, v)));
            System.out.println(sb);
        }
    }

    /** --spark: synchronous data-parallel training on a Spark cluster (or local[N]), the same run directory written. */
    private int trainOnSpark(Run run, RunConfig.DistributedConfig distributed, Path out) throws IOException {
        String master = distributed.master();
        if (run.hasPretraining() && !noPretrain) {
            throw new dlkit.ConfigException("--spark", "layer-wise pretraining does not run on Spark yet; pretrain locally or pass --no-pretrain");
        }
        dlkit.run.ClusterTraining cluster = dlkit.run.ClusterTraining.find();
        if (cluster == null) {
            throw new dlkit.ConfigException("--spark", "Spark support (dlkit-spark and Spark) is not on the classpath: run ./dl, which adds it for --spark");
        }
        if (fresh) {
            // the checkpoint a distributed run resumes from, where SparkRun looks for it
            Path dir = dlkit.files.OutputPaths.inside(out, distributed.checkpointDir() != null ? distributed.checkpointDir() : "checkpoint",
                    "distributed.checkpoint_dir");
            Files.deleteIfExists(dir.resolve("checkpoint.dlk"));
        }
        if (!quiet) {
            System.out.println("dl: training on Spark " + master + (distributed.workers() != null ? " with " + distributed.workers() + " workers" : "")
                    + (distributed.sync().equals("allreduce") ? "" : ", " + distributed.sync() + " every " + distributed.every() + " steps"));
        }
        Run.Result r = cluster.train(distributed, run, new Run.Overrides(epochs, batchSize, seed), out, quiet ? null : System.out);
        drawCurves(r, out);
        if (!quiet) {
            printMetrics(r);
            System.out.printf(Locale.ROOT, "%d epochs in %.1f s on Spark %s; wrote %s%n", r.epochs(), r.seconds(), master, out.resolve("model.dlk"));
        }
        return 0;
    }

    /** Greedy layer-wise pretraining, announcing each layer and showing its progress; then fit fine-tunes. */
    private void pretrain(Run run, Run.Overrides overrides) {
        long t0 = System.nanoTime();
        List<Pretraining.LayerResult> results = run.pretrain(overrides, new Pretraining.Listener() {
            @Override
            public void onLayerBegin(int index, int count, String layer, int inputs, int units) {
                if (!quiet) {
                    System.out.printf(Locale.ROOT, "Pretraining %d/%d: layer '%s' as an autoencoder (%d -> %d -> %d)%n",
                            index + 1, count, layer, inputs, units, inputs);
                }
            }

            @Override
            public List<Callback> callbacks() {
                return quiet ? List.of() : List.of(ProgressBar.toStdout());
            }
        });
        if (!quiet) {
            StringBuilder sb = new StringBuilder("Pretrained");
            for (Pretraining.LayerResult l : results) {
                sb.append(String.format(Locale.ROOT, " %s (reconstruction loss %.4f)", l.layer(), l.loss()));
            }
            System.out.printf(Locale.ROOT, "%s in %.1f s; fine-tuning with labels%n", sb, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** For an autoencoder on images: the first test (or training) samples above their reconstructions. */
    private void writeReconstructions(Run run, Path png) {
        dlkit.tensor.Shape in = run.model().inputShape();
        boolean image = in.rank() == 2 || (in.rank() == 3 && in.dim(2) == 1);
        if (!image || !run.model().outputShape().equals(in)) {
            return;
        }
        try {
            var source = run.test() != null ? run.test() : run.train();
            ReconstructionGrid.write(run.model(), source.slice(0, Math.min(12, source.count())).featuresArray(), 12, png);
            if (!quiet) {
                System.out.println("reconstructions: " + png);
            }
        } catch (RuntimeException | Error e) {
            System.err.println("dl: warning: could not draw reconstructions: " + e);
        }
    }

    /**
     * SIGINT/SIGTERM during fit: back up after the current batch and exit 128 + signal. Handled as signals rather
     * than in a shutdown hook so that nothing else shuts down (ND4J's hooks) while the checkpoint is written; a
     * second signal exits at once.
     */
    @SuppressWarnings("restriction")
    private static Run.Result trainWithSignals(Run run, Path out, Run.Overrides overrides, List<Callback> callbacks,
                                               BackupAndRestore backup, AtomicInteger signalled) {
        if (backup == null) {
            return run.train(out, overrides, callbacks);
        }
        sun.misc.SignalHandler handler = sig -> {
            if (signalled.compareAndSet(0, 128 + sig.getNumber())) {
                System.err.println("\ndl: SIG" + sig.getName() + ": saving a checkpoint after this batch (again to quit at once)");
                backup.requestInterrupt();
            } else {
                Runtime.getRuntime().halt(128 + sig.getNumber());
            }
        };
        sun.misc.Signal term = new sun.misc.Signal("TERM");
        sun.misc.Signal interrupt = new sun.misc.Signal("INT");
        sun.misc.SignalHandler oldTerm = sun.misc.Signal.handle(term, handler);
        sun.misc.SignalHandler oldInt = sun.misc.Signal.handle(interrupt, handler);
        try {
            return run.train(out, overrides, callbacks);
        } finally {
            sun.misc.Signal.handle(term, oldTerm);
            sun.misc.Signal.handle(interrupt, oldInt);
        }
    }
}
