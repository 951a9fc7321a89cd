package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Multiplies the learning rate by {@code factor} when the monitored value has not improved for {@code patience}
 * epochs, then waits {@code cooldown} epochs; never below {@code minLr}. Keras' defaults: val_loss, factor 0.1,
 * patience 10, min_delta 1e-4. Adds {@code learning_rate} to the epoch logs.
 */
public final class ReduceLROnPlateau implements Callback {
    private static final Logger LOG = LoggerFactory.getLogger(ReduceLROnPlateau.class);

    private String monitorKey = "val_loss";
    private String mode = "auto";
    private double minDelta = 1e-4;
    private double factor = 0.1;
    private int patience = 10;
    private int cooldown;
    private double minLr;
    private Monitor monitor = new Monitor(monitorKey, mode, minDelta);

    private double best;
    private int wait;
    private int cooldownCounter;

    public @NonNull ReduceLROnPlateau monitor(@NonNull String key) {
        monitor = new Monitor(key, mode, minDelta);
        monitorKey = key;
        return this;
    }

    public @NonNull ReduceLROnPlateau mode(@NonNull String v) {
        monitor = new Monitor(monitorKey, v, minDelta);
        mode = v;
        return this;
    }

    public @NonNull ReduceLROnPlateau minDelta(double v) {
        monitor = new Monitor(monitorKey, mode, v);
        minDelta = v;
        return this;
    }

    public @NonNull ReduceLROnPlateau factor(double v) {
        if (!(v > 0 && v < 1)) {
            throw new IllegalArgumentException("factor: expected a number in (0, 1) (the learning rate is multiplied by it), got " + v);
        }
        factor = v;
        return this;
    }

    public @NonNull ReduceLROnPlateau patience(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("patience: expected an integer >= 0, got " + v);
        }
        patience = v;
        return this;
    }

    public @NonNull ReduceLROnPlateau cooldown(int v) {
        if (v < 0) {
            throw new IllegalArgumentException("cooldown: expected an integer >= 0, got " + v);
        }
        cooldown = v;
        return this;
    }

    public @NonNull ReduceLROnPlateau minLr(double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("min_lr: expected a finite number >= 0, got " + v);
        }
        minLr = v;
        return this;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        best = monitor.worst();
        wait = 0;
        cooldownCounter = 0;
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        logs.put("learning_rate", state.learningRate());
        double current = monitor.read(logs, "ReduceLROnPlateau");
        boolean inCooldown = cooldownCounter > 0;
        if (inCooldown) {
            cooldownCounter--;
            wait = 0;
        }
        if (monitor.improves(current, best)) {
            best = current;
            wait = 0;
        } else if (!inCooldown) {
            wait++;
            if (wait >= patience) {
                double old = state.learningRate();
                if (old > minLr) {
                    double lr = Math.max(old * factor, minLr);
                    state.setLearningRate(lr);
                    LOG.info("epoch {}: {} has not improved for {} epochs; learning rate {} -> {}", epoch + 1, monitor.key, wait, old, lr);
                    cooldownCounter = cooldown;
                    wait = 0;
                }
            }
        }
    }

    @Override
    public JsonNode checkpointState() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("best", best);
        o.put("wait", wait);
        o.put("cooldown_counter", cooldownCounter);
        return o;
    }

    @Override
    public void restoreCheckpointState(JsonNode s) {
        best = s.path("best").asDouble();
        wait = s.path("wait").asInt();
        cooldownCounter = s.path("cooldown_counter").asInt();
    }

    static ReduceLROnPlateau fromConfig(Options o) {
        ReduceLROnPlateau r = new ReduceLROnPlateau();
        o.apply("monitor", () -> r.monitor(o.string("monitor", "val_loss")));
        o.apply("mode", () -> r.mode(o.choice("mode", "auto", Monitor.MODES)));
        o.apply("min_delta", () -> r.minDelta(o.number("min_delta", 1e-4)));
        o.apply("factor", () -> r.factor(o.number("factor", 0.1)));
        r.patience(o.integer("patience", 10, 0));
        r.cooldown(o.integer("cooldown", 0, 0));
        o.apply("min_lr", () -> r.minLr(o.number("min_lr", 0)));
        return r;
    }
}
