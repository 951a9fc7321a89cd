package dlkit.model;

import dlkit.DlkitException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What running a model keeps between calls: the seed shuffling, dropout and noise derive from, the compiled plans
 * (one per batch size and mode, made once), and the state stateful layers carry from batch to batch.
 */
final class Execution {
    private final Map<Long, Plan> plans = new HashMap<>();
    /** Stateful layers' carried state (an RNN's h and c per sample slot), by layer and name. */
    private final Map<String, double[]> states = new LinkedHashMap<>();
    private long seed;

    /** The plan for batches of up to {@code maxBatch}; {@code training} plans keep activations for backward. */
    Plan plan(Model model, int maxBatch, boolean training, boolean inputGradient) {
        long key = ((long) maxBatch << 2) | (training ? 1 : 0) | (inputGradient ? 2 : 0);
        return plans.computeIfAbsent(key, k -> new Planner(model, maxBatch, training, inputGradient).build());
    }

    /** After a compile: plans depend on the losses (fused outputs) and hold the optimizer's buffers. */
    void forgetPlans() {
        plans.clear();
    }

    long seed() {
        return seed;
    }

    void setSeed(long seed) {
        if (seed != this.seed) {
            // Compiled plans hold per-layer seeds (dropout): a new seed needs new plans.
            plans.clear();
        }
        this.seed = seed;
    }

    /** The own seed of the layer at random-stream position {@code layer} (see {@link Weights#stream}). */
    long seedFor(int layer) {
        return seed * 0xD1B54A32D192ED03L + layer;
    }

    /** {@code length} zeros the first time a stateful layer asks for {@code key}; the same array after. */
    double[] persistentState(String key, int length) {
        double[] v = states.computeIfAbsent(key, k -> new double[length]);
        if (v.length < length) {
            throw new DlkitException("stateful layer state " + key + " holds " + v.length + " values, for the batch size it was first run with;"
                    + " this plan needs " + length + ": a stateful model runs with one batch size (pass the same batch size to fit, evaluate and predict)");
        }
        return v;
    }

    /** Every carried state, for checkpoints. */
    Map<String, double[]> states() {
        return states;
    }

    void resetStates() {
        states.values().forEach(v -> Arrays.fill(v, 0));
    }
}
