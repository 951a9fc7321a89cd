package dlkit.model;

import java.util.Map;
import org.jspecify.annotations.NonNull;

/**
 * Hooks into {@link Model#fit}. Every method has an empty default, so a callback overrides only what it needs.
 * {@code logs} hold the running epoch means so far ({@code loss}, metrics) and, at epoch end, {@code val_*} too.
 */
public interface Callback {
    default void onTrainBegin(@NonNull TrainingState state) {}

    default void onTrainEnd(@NonNull TrainingState state) {}

    default void onEpochBegin(int epoch, @NonNull TrainingState state) {}

    default void onEpochEnd(int epoch, @NonNull Map<String, Double> logs, @NonNull TrainingState state) {}

    default void onBatchBegin(int batch, @NonNull TrainingState state) {}

    default void onBatchEnd(int batch, @NonNull Map<String, Double> logs, @NonNull TrainingState state) {}
}
