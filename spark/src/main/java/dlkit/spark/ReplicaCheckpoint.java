package dlkit.spark;

import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A replica's part in checkpointing a distributed run: every replica resumes from its own copy of the checkpoint it
 * found (the copies checked equal across replicas before training), and only worker 0 writes — atomically, at every
 * epoch end, every {@code everySteps} steps and when training ends — since the replicas hold the same weights.
 */
final class ReplicaCheckpoint implements Callback {
    private final @Nullable Path resumeFrom;
    private final @Nullable Path writeTo;
    private final int everySteps;

    ReplicaCheckpoint(@Nullable Path resumeFrom, @Nullable Path writeTo, int everySteps) {
        this.resumeFrom = resumeFrom;
        this.writeTo = writeTo;
        this.everySteps = everySteps;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        if (resumeFrom != null) {
            state.resumeFrom(resumeFrom);
        }
    }

    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        if (writeTo != null && everySteps > 0 && state.model().iterations() % everySteps == 0) {
            state.requestCheckpoint(writeTo);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        if (writeTo != null) {
            state.requestCheckpoint(writeTo);
        }
    }

    @Override
    public void onTrainEnd(TrainingState state) {
        if (writeTo != null && !state.isInterrupted()) {
            state.requestCheckpoint(writeTo);
        }
    }
}
