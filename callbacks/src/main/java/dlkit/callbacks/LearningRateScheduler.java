package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Sets the learning rate from a {@link LearningRateSchedule} at the start of every epoch ({@code "epoch"}, as Keras'
 * LearningRateScheduler) or before every optimizer step ({@code "step"}, as a Keras optimizer schedule; n counts
 * steps since training began, across epochs). η0 is the optimizer's learning rate unless given. Adds
 * {@code learning_rate} to the epoch logs.
 */
public final class LearningRateScheduler implements Callback {
    static final List<String> UNITS = List.of("epoch", "step");

    private final LearningRateSchedule schedule;
    private final boolean perStep;
    private final @Nullable Double initial;
    private double lr0;

    public LearningRateScheduler(@NonNull LearningRateSchedule schedule) {
        this(schedule, "epoch", null);
    }

    /** {@code unit}: "epoch" or "step"; {@code initialLearningRate}: η0, or null for the optimizer's rate. */
    public LearningRateScheduler(@NonNull LearningRateSchedule schedule, @NonNull String unit, @Nullable Double initialLearningRate) {
        if (!UNITS.contains(unit)) {
            throw new IllegalArgumentException("unit: expected one of " + UNITS + ", got \"" + unit + "\"");
        }
        if (initialLearningRate != null && !(initialLearningRate > 0 && Double.isFinite(initialLearningRate))) {
            throw new IllegalArgumentException("initial_learning_rate: expected a finite number > 0, got " + initialLearningRate);
        }
        this.schedule = schedule;
        this.perStep = unit.equals("step");
        this.initial = initialLearningRate;
    }

    public @NonNull LearningRateSchedule schedule() {
        return schedule;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        lr0 = initial != null ? initial : state.learningRate();
    }

    @Override
    public void onEpochBegin(int epoch, TrainingState state) {
        if (!perStep) {
            state.setLearningRate(schedule.at(epoch, lr0));
        }
    }

    @Override
    public void onBatchBegin(int batch, TrainingState state) {
        if (perStep) {
            state.setLearningRate(schedule.at(state.model().iterations(), lr0));
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        logs.put("learning_rate", state.learningRate());
    }

    @Override
    public JsonNode checkpointState() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("initial_learning_rate", lr0);
        return o;
    }

    @Override
    public void restoreCheckpointState(JsonNode s) {
        lr0 = s.path("initial_learning_rate").asDouble();
    }

    static LearningRateScheduler fromConfig(Options o) {
        if (!o.has("schedule")) {
            throw new dlkit.ConfigException(o.at("schedule"), "required: a schedule object, e.g. {\"type\": \"exponential\", \"decay_steps\": 10, \"decay_rate\": 0.1}");
        }
        LearningRateSchedule s = LearningRateSchedule.fromConfig(o.get("schedule"), o.at("schedule"));
        String unit = o.choice("unit", "epoch", UNITS);
        Double lr0 = o.optionalNumber("initial_learning_rate");
        LearningRateScheduler[] r = new LearningRateScheduler[1];
        o.apply("initial_learning_rate", () -> r[0] = new LearningRateScheduler(s, unit, lr0));
        return r[0];
    }
}
