package dlkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Hooks into {@link Model#fit}. Every method has an empty default, so a callback overrides only what it needs.
 * {@code logs} hold the running epoch means so far ({@code loss}, metrics) and, at epoch end, {@code val_*} too.
 * A callback with state that must survive a resumed run (a best value, a wait count) returns it from
 * {@link #checkpointState} and takes it back in {@link #restoreCheckpointState}.
 */
public interface Callback {
    default void onTrainBegin(@NonNull TrainingState state) {}

    default void onTrainEnd(@NonNull TrainingState state) {}

    default void onEpochBegin(int epoch, @NonNull TrainingState state) {}

    default void onEpochEnd(int epoch, @NonNull Map<String, Double> logs, @NonNull TrainingState state) {}

    default void onBatchBegin(int batch, @NonNull TrainingState state) {}

    default void onBatchEnd(int batch, @NonNull Map<String, Double> logs, @NonNull TrainingState state) {}

    /** State to keep in training checkpoints; null (the default) for none. */
    default @Nullable JsonNode checkpointState() {
        return null;
    }

    /** Called after every {@code onTrainBegin} when a run resumes, with what {@link #checkpointState} returned. */
    default void restoreCheckpointState(@NonNull JsonNode state) {}
}
