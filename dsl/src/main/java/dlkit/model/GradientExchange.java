package dlkit.model;

import org.jspecify.annotations.NonNull;

/**
 * Where data-parallel training meets the optimizer: after each backward pass, before clipping and the update, the
 * gradients of the trained weights (flat, in the model's weight order) are replaced by their average over every
 * replica, weighted by the rows each replica's batch had, so that N replicas at batch b step as one at batch N·b.
 * Every replica calls it once per step, in the same order.
 */
public interface GradientExchange {
    /**
     * Replaces {@code grads[0, count)}, the mean gradient over this replica's {@code rows} samples, by the mean over
     * all replicas' samples.
     */
    void average(float @NonNull [] grads, int count, int rows);
}
