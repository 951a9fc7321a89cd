package dlkit.model;

import dlkit.DlkitException;
import dlkit.ResourceException;
import dlkit.optim.Optimizer;
import dlkit.optim.UpdateRule;
import dlkit.tensor.DType;
import dlkit.tensor.Memory;
import org.jspecify.annotations.Nullable;

/**
 * The optimizer a model was compiled with and what it carries from step to step: the moments, the step count and the
 * learning rate (which schedules change). Updates run on heap copies of the flat float32 weights and gradients;
 * float64 models (gradient checks, inference) are not trained and hold no copies.
 */
final class OptimizerState {
    final Optimizer optimizer;
    private final UpdateRule rule;
    private final float @Nullable [] params;
    private final float @Nullable [] grads;
    /** The rule's moments, one array per moment. */
    private final float @Nullable [] @Nullable [] state;
    /** The [offset, length] of every trainable weight in the flat arrays, for per-weight clipping. */
    private final int[][] slotRanges;
    long iterations;
    double learningRate;

    OptimizerState(Optimizer optimizer, Weights weights) {
        this.optimizer = optimizer;
        this.rule = optimizer.rule();
        this.learningRate = optimizer.learningRate();
        boolean trainable = weights.dtype == DType.FLOAT32;
        if (trainable) {
            // The weights, their gradients and every moment array, counted in long here.
            long floats = (2L + rule.moments()) * weights.count;
            Memory.requireHeap(floats * Float.BYTES, optimizer.type() + " over " + String.format("%,d", weights.count) + " weights (their copies and moments)");
            if ((long) rule.moments() * weights.count > Integer.MAX_VALUE) {
                throw new ResourceException(optimizer.type() + " over " + String.format("%,d", weights.count) + " weights needs more than 2^31 moments");
            }
        }
        this.params = trainable ? new float[weights.count] : null;
        this.grads = trainable ? new float[weights.count] : null;
        this.state = trainable ? new float[rule.moments()][weights.count] : null;
        if (trainable) {
            rule.initState(state, weights.count);
        }
        this.slotRanges = weights.slots.stream().filter(s -> s.spec().trainable() && !weights.frozen[s.layer()]).map(s -> new int[] {s.offset(), s.spec().size()})
                .toArray(int[][]::new);
        pullWeights(weights);
    }

    /** Takes the weights as they are now (after an initialisation, a load or a copy). */
    void pullWeights(Weights weights) {
        if (params != null) {
            weights.paramBuf.get(0, params, 0, weights.count);
        }
    }

    /**
     * One update from the gradients the backward pass left in {@code weights} for a batch of {@code rows}: averaged
     * with other replicas' through {@code exchange} (if any), clipped, the rule applied, written back.
     */
    void step(Weights weights, int rows, @Nullable GradientExchange exchange) {
        int count = weights.count;
        weights.gradBuf.get(0, grads, 0, count);
        if (exchange != null) {
            exchange.average(grads, count, rows);
        }
        if (optimizer.clipping().active()) {
            optimizer.clipping().apply(grads, count, slotRanges);
        }
        iterations++;
        rule.apply(params, grads, state, count, iterations, (float) learningRate);
        if (iterations % UpdateRule.FLUSH_EVERY == 0) {
            UpdateRule.flushSubnormals(state, count);
        }
        if (exchange != null) {
            exchange.afterStep(params, count, iterations);
        }
        weights.paramBuf.put(0, params, 0, count);
    }

    /** The start of a data-parallel fit: {@code exchange} sees the weights training starts from. */
    void begin(Weights weights, GradientExchange exchange) {
        if (params != null) {
            pullWeights(weights);
            exchange.atTrainBegin(params, weights.count);
        }
    }

    /** The end of a data-parallel fit: the replica's weights as {@code exchange} hands them on. */
    void finish(Weights weights, GradientExchange exchange) {
        if (params == null) {
            return;
        }
        pullWeights(weights);
        exchange.atTrainEnd(params, weights.count);
        weights.paramBuf.put(0, params, 0, weights.count);
    }

    /** The moments, laid out as ND4J's updater state views (e.g. Adam's [m | v]); null for a float64 model. */
    float @Nullable [] moments() {
        if (state == null) {
            return null;
        }
        int n = params.length;
        float[] flat = new float[state.length * n];
        for (int k = 0; k < state.length; k++) {
            System.arraycopy(state[k], 0, flat, k * n, n);
        }
        return flat;
    }

    void restore(float[] moments, long iterations) {
        int n = params == null ? 0 : params.length;
        int expected = state == null ? 0 : state.length * n;
        if (state == null || moments.length != expected) {
            throw new DlkitException("optimizer state has " + moments.length + " values but " + optimizer.type()
                    + " over " + n + " weights needs " + expected);
        }
        for (int k = 0; k < state.length; k++) {
            System.arraycopy(moments, k * n, state[k], 0, n);
        }
        this.iterations = iterations;
    }
}
