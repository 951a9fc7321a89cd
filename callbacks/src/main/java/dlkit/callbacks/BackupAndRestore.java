package dlkit.callbacks;

import dlkit.DlkitException;
import dlkit.files.OutputPaths;
import dlkit.model.Callback;
import dlkit.model.Checkpoint;
import dlkit.model.TrainingState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a run survive being killed: it writes {@code DIR/checkpoint.dlk} (atomically) at the end of every epoch, every
 * {@code saveEverySteps} optimizer steps if set, and when {@link #requestInterrupt} is called (a signal handler);
 * a fit that finds the file continues from it — weights, optimizer moments, step count, learning rate, seed, place in
 * the epoch, running metrics and callback state — and ends bit-identical to a run that was never stopped. The final
 * checkpoint is marked complete, so fitting again with it trains no more (unless {@code deleteCheckpoint}).
 */
public final class BackupAndRestore implements Callback {
    private static final Logger LOG = LoggerFactory.getLogger(BackupAndRestore.class);
    public static final String FILE = "checkpoint.dlk";

    private final Path file;
    private int saveFreq;
    private boolean deleteCheckpoint;
    private volatile boolean interruptRequested;
    private @Nullable Path resumedFrom;
    private Checkpoint.@Nullable Info resumedInfo;

    public BackupAndRestore(@NonNull Path backupDir) {
        this.file = backupDir.resolve(FILE);
    }

    /** Also back up every {@code steps} optimizer steps (0: only at epoch ends). */
    public @NonNull BackupAndRestore saveEverySteps(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("save_freq: expected \"epoch\" or a positive number of batches, got " + steps);
        }
        saveFreq = steps;
        return this;
    }

    /** Delete the checkpoint when training completes (Keras' default); kept otherwise, marking the run finished. */
    public @NonNull BackupAndRestore deleteCheckpoint(boolean v) {
        deleteCheckpoint = v;
        return this;
    }

    public @NonNull Path file() {
        return file;
    }

    /** The checkpoint this fit resumed from, or null for a fresh start. */
    public dlkit.model.Checkpoint.@Nullable Info resumedFrom() {
        return resumedInfo;
    }

    /** Thread-safe: back up at the end of the current batch and leave fit (for SIGINT/SIGTERM handlers). */
    public void requestInterrupt() {
        interruptRequested = true;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        resumedFrom = null;
        resumedInfo = null;
        if (Files.exists(file)) {
            resumedInfo = Checkpoint.info(file);
            resumedFrom = file;
            LOG.info("resuming from {} (epoch {}, batch {}{})", file, resumedInfo.epoch() + 1, resumedInfo.batchesDone(),
                    resumedInfo.completed() ? ", completed" : "");
            state.resumeFrom(file);
        }
    }

    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        if (interruptRequested) {
            state.requestCheckpoint(file);
            state.interrupt();
        } else if (saveFreq > 0 && state.model().iterations() % saveFreq == 0) {
            state.requestCheckpoint(file);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        state.requestCheckpoint(file);
        if (interruptRequested) {
            state.interrupt();
        }
    }

    @Override
    public void onTrainEnd(TrainingState state) {
        if (state.isInterrupted()) {
            return;
        }
        if (deleteCheckpoint) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new DlkitException("BackupAndRestore: cannot delete " + file + ": " + e.getMessage(), e);
            }
        } else {
            // Rewritten after every callback's onTrainEnd, e.g. with EarlyStopping's restored best weights.
            state.requestCheckpoint(file);
        }
    }

    static BackupAndRestore fromConfig(Options o, Path outputDir) {
        BackupAndRestore b = new BackupAndRestore(OutputPaths.inside(outputDir, o.string("backup_dir", "."), o.at("backup_dir")));
        b.saveEverySteps(o.saveFreq());
        b.deleteCheckpoint(o.bool("delete_checkpoint", false));
        return b;
    }
}
