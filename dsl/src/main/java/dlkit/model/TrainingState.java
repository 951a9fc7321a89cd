package dlkit.model;

import dlkit.metrics.Metric;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * What callbacks can see and steer during {@link Model#fit}: the position (epoch, batches done), the history so far,
 * stopping, the learning rate, and checkpoints. Checkpoint requests are carried out by {@code fit} once every
 * callback has had its turn for the batch or epoch, so each callback's saved state is up to date.
 */
public final class TrainingState {
    private final Model model;
    private final int epochs;
    private final long stepsPerEpoch;
    private final int batchSize;
    private boolean stopTraining;
    private boolean interrupted;
    final History history;
    final List<Callback> callbacks;
    final List<Metric.Accumulator> accumulators;
    long seed;
    int epoch;
    /** Batches finished in the current epoch. */
    long batchesDone;
    double lossSum;
    long seen;
    boolean completed;
    final List<Path> checkpointRequests = new ArrayList<>();
    @Nullable Path resumeRequest;
    /** {@link FitOptions#fingerprint}: written into checkpoints, compared on resume. */
    @Nullable String fingerprint;
    boolean resumed;

    TrainingState(Model model, int epochs, long stepsPerEpoch, int batchSize, History history, List<Callback> callbacks,
                  List<Metric.Accumulator> accumulators, long seed, int initialEpoch) {
        this.model = model;
        this.epochs = epochs;
        this.stepsPerEpoch = stepsPerEpoch;
        this.batchSize = batchSize;
        this.history = history;
        this.callbacks = callbacks;
        this.accumulators = accumulators;
        this.seed = seed;
        this.epoch = initialEpoch;
    }

    public @NonNull Model model() {
        return model;
    }

    public int epochs() {
        return epochs;
    }

    /** The current epoch (0-based); after the last one, the number of epochs run. */
    public int epoch() {
        return epoch;
    }

    /** Batches finished in the current epoch. */
    public long batchesDone() {
        return batchesDone;
    }

    /** Batches per epoch, or -1 for a streaming dataset of unknown size. */
    public long stepsPerEpoch() {
        return stepsPerEpoch;
    }

    public int batchSize() {
        return batchSize;
    }

    /** The seed shuffling and dropout derive from. */
    public long seed() {
        return seed;
    }

    /** Per-epoch logs so far, including epochs restored from a checkpoint. */
    public @NonNull History history() {
        return history;
    }

    /** Ends training after the current batch (EarlyStopping, TerminateOnNaN); the epoch still ends normally. */
    public void stopTraining() {
        stopTraining = true;
    }

    public boolean stopRequested() {
        return stopTraining || interrupted;
    }

    /**
     * Leaves {@code fit} right after the current batch without finishing the epoch (a signal, a kill switch): the
     * run is incomplete and a checkpoint requested in the same turn resumes it where it stopped.
     */
    public void interrupt() {
        interrupted = true;
    }

    public boolean isInterrupted() {
        return interrupted;
    }

    /** The run has nothing left to do: all epochs ran, or a callback stopped it (an interrupted run is not done). */
    boolean finished() {
        return !interrupted && (epoch >= epochs || stopTraining);
    }

    /** True once every epoch has run (or EarlyStopping ended the run): resuming from such a checkpoint trains no more. */
    public boolean isCompleted() {
        return completed;
    }

    /** True when this run continued from a checkpoint. */
    public boolean isResumed() {
        return resumed;
    }

    public double learningRate() {
        return model.learningRate();
    }

    public void setLearningRate(double lr) {
        model.setLearningRate(lr);
    }

    /**
     * Writes a checkpoint to {@code path} (atomically) at the end of this batch or epoch, after all callbacks ran:
     * weights, optimizer state, step count, learning rate, seed, position in the epoch, running metric totals,
     * history and every callback's {@link Callback#checkpointState}.
     */
    public void requestCheckpoint(@NonNull Path path) {
        checkpointRequests.add(path);
    }

    /** From {@code onTrainBegin}: continue from the checkpoint at {@code path} once every callback has begun. */
    public void resumeFrom(@NonNull Path path) {
        resumeRequest = path;
    }

    /** The running epoch means so far: loss and metrics. */
    @NonNull Map<String, Double> runningLogs() {
        Map<String, Double> logs = new java.util.LinkedHashMap<>();
        if (seen > 0) {
            logs.put("loss", lossSum / seen);
            List<String> ms = model.objective().metricNames;
            for (int i = 0; i < ms.size(); i++) {
                logs.put(ms.get(i), accumulators.get(i).result());
            }
        }
        return logs;
    }
}
