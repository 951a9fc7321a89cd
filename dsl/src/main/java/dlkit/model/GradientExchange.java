package dlkit.model;

import org.jspecify.annotations.NonNull;

/**
 * Where data-parallel training meets the optimizer: after each backward pass, before clipping and the update, the
 * gradients of the trained weights (flat, in the model's weight order) are replaced by their average over every
 * replica, weighted by the rows each replica's batch had, so that N replicas at batch b step as one at batch N·b.
 * Every replica calls it once per step, in the same order. Schemes that synchronise the weights instead (parameter
 * averaging, elastic averaging) leave the gradients alone and act in {@link #afterStep} and {@link #atTrainEnd}.
 */
public interface GradientExchange {
    /**
     * Replaces {@code grads[0, count)}, the mean gradient over this replica's {@code rows} samples, by the mean over
     * all replicas' samples.
     */
    void average(float @NonNull [] grads, int count, int rows);

    /** When a fit starts (after any resume), before the first step: the weights every replica starts from. */
    default void atTrainBegin(float @NonNull [] params, int count) {}

    /**
     * After update {@code iteration} (counted from 1): {@code params[0, count)} are this replica's trained weights, in
     * the gradients' order; an exchange may move them (the optimizer's moments stay this replica's own).
     */
    default void afterStep(float @NonNull [] params, int count, long iteration) {}

    /** When a fit ends (not when it is interrupted): the weights this replica hands on, which an exchange may replace. */
    default void atTrainEnd(float @NonNull [] params, int count) {}
}
