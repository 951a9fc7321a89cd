package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops training when the monitored value has not improved by more than {@code minDelta} for {@code patience}
 * epochs, as Keras' EarlyStopping: {@code new EarlyStopping().monitor("val_loss").patience(3).restoreBestWeights(true)}.
 * With {@code restoreBestWeights} the model ends with the weights of its best epoch. Its state (best value, wait count,
 * best weights) goes into training checkpoints, so a resumed run stops exactly where an uninterrupted one would.
 */
public final class EarlyStopping implements Callback {
    private static final Logger LOG = LoggerFactory.getLogger(EarlyStopping.class);

    private String monitorKey = "val_loss";
    private String mode = "auto";
    private double minDelta;
    private int patience;
    private @Nullable Double baseline;
    private boolean restoreBestWeights;
    private int startFromEpoch;
    private Monitor monitor = new Monitor(monitorKey, mode, 0);

    private int wait;
    private double best;
    private int bestEpoch = -1;
    private int stoppedEpoch = -1;
    private @Nullable Map<String, INDArray> bestWeights;

    public @NonNull EarlyStopping monitor(@NonNull String key) {
        monitor = new Monitor(key, mode, minDelta);
        monitorKey = key;
        return this;
    }

    /** "auto" (higher is better for accuracy-like names), "min" or "max". */
    public @NonNull EarlyStopping mode(@NonNull String v) {
        monitor = new Monitor(monitorKey, v, minDelta);
        mode = v;
        return this;
    }

    public @NonNull EarlyStopping minDelta(double v) {
        monitor = new Monitor(monitorKey, mode, v);
        minDelta = v;
        return this;
    }

    public @NonNull EarlyStopping patience(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("patience: expected an integer >= 0, got " + v);
        }
        patience = v;
        return this;
    }

    /** Training stops unless the monitored value beats this baseline within {@code patience} epochs. */
    public @NonNull EarlyStopping baseline(@Nullable Double v) {
        baseline = v;
        return this;
    }

    public @NonNull EarlyStopping restoreBestWeights(boolean v) {
        restoreBestWeights = v;
        return this;
    }

    /** Epochs of warm-up before improvement is watched. */
    public @NonNull EarlyStopping startFromEpoch(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("start_from_epoch: expected an integer >= 0, got " + v);
        }
        startFromEpoch = v;
        return this;
    }

    /** The epoch (0-based) training stopped at, or -1 if it ran to the end. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }

    /** The epoch (0-based) with the best monitored value, or -1 before any. */
    public int bestEpoch() {
        return bestEpoch;
    }

    public double best() {
        return best;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        wait = 0;
        stoppedEpoch = -1;
        bestEpoch = -1;
        best = monitor.worst();
        bestWeights = null;
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        double current = monitor.read(logs, "EarlyStopping");
        if (epoch < startFromEpoch) {
            return;
        }
        if (restoreBestWeights && bestWeights == null) {
            // Keras keeps the first watched epoch's weights even when it is not an improvement on the baseline.
            bestWeights = state.model().getWeights();
        }
        wait++;
        if (monitor.improves(current, best)) {
            best = current;
            bestEpoch = epoch;
            if (restoreBestWeights) {
                bestWeights = state.model().getWeights();
            }
            if (baseline == null || monitor.improves(current, baseline)) {
                wait = 0;
                return;
            }
        }
        if (wait >= patience && epoch > 0) {
            stoppedEpoch = epoch;
            state.stopTraining();
            LOG.info("early stopping after epoch {}: best {} at epoch {}", epoch + 1, monitor.describe(best), bestEpoch + 1);
        }
    }

    @Override
    public void onTrainEnd(TrainingState state) {
        if (restoreBestWeights && bestWeights != null && !state.isInterrupted()) {
            LOG.info("restoring the weights of epoch {} ({})", bestEpoch + 1, monitor.describe(best));
            state.model().setWeights(bestWeights);
        }
    }

    @Override
    public JsonNode checkpointState() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("wait", wait);
        o.put("best", best);
        o.put("best_epoch", bestEpoch);
        o.put("stopped_epoch", stoppedEpoch);
        if (bestWeights != null) {
            o.set("best_weights", WeightsJson.encode(bestWeights));
        }
        return o;
    }

    @Override
    public void restoreCheckpointState(JsonNode s) {
        wait = s.path("wait").asInt();
        best = s.path("best").asDouble();
        bestEpoch = s.path("best_epoch").asInt();
        stoppedEpoch = s.path("stopped_epoch").asInt();
        bestWeights = s.has("best_weights") ? WeightsJson.decode(s.get("best_weights")) : null;
    }

    static EarlyStopping fromConfig(Options o) {
        EarlyStopping es = new EarlyStopping();
        o.apply("monitor", () -> es.monitor(o.string("monitor", "val_loss")));
        o.apply("mode", () -> es.mode(o.choice("mode", "auto", Monitor.MODES)));
        o.apply("min_delta", () -> es.minDelta(o.number("min_delta", 0)));
        es.patience(o.integer("patience", 0, 0));
        es.baseline(o.optionalNumber("baseline"));
        es.restoreBestWeights(o.bool("restore_best_weights", false));
        es.startFromEpoch(o.integer("start_from_epoch", 0, 0));
        return es;
    }
}
