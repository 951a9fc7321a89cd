package dlkit.callbacks;

import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends training at the first batch whose running loss is NaN or infinite. It interrupts rather than stops, so no
 * epoch end or checkpoint records the broken weights: the last checkpoint written stays the last good one.
 */
public final class TerminateOnNaN implements Callback {
    private static final Logger LOG = LoggerFactory.getLogger(TerminateOnNaN.class);
    private @Nullable String terminatedAt;

    @Override
    public void onTrainBegin(TrainingState state) {
        terminatedAt = null;
    }

    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        Double loss = logs.get("loss");
        if (terminatedAt == null && loss != null && !Double.isFinite(loss)) {
            terminatedAt = "epoch " + (state.epoch() + 1) + ", batch " + (batch + 1);
            LOG.warn("{}: invalid loss {}, terminating training", terminatedAt, loss);
            state.interrupt();
        }
    }

    /** Where the loss went bad ("epoch 3, batch 17"), or null. */
    public @Nullable String terminatedAt() {
        return terminatedAt;
    }
}
