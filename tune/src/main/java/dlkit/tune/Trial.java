package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * One trial of a study as its database holds it: its number, state, settings (by JSON path), epoch budget, Hyperband
 * bracket and rung (null for the other algorithms) and the trial it was promoted from, the objective's value (best over
 * its epochs) and the epoch that gave it, the epochs it trained, and the objective after each epoch.
 */
public record Trial(int number, @NonNull State state, @NonNull Map<String, JsonNode> params, int epochs, @Nullable Integer bracket,
                    @Nullable Integer rung, @Nullable Integer parent, @Nullable Double value, @Nullable Integer bestEpoch, int epochsRun,
                    double seconds, @Nullable String message, @NonNull List<Double> history) {
    public enum State {
        /** Created (a Hyperband rung, or a trial whose worker died), not yet running. */
        WAITING,
        RUNNING,
        COMPLETE,
        /** Stopped early by the pruner: its value is the best before it stopped. */
        PRUNED,
        /** Diverged or failed: no value. */
        FAILED;

        public boolean finished() {
            return this == COMPLETE || this == PRUNED || this == FAILED;
        }
    }
}
