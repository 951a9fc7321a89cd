package dlkit.layers;

import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** What the planner hands a layer when compiling it: shapes and the buffers it reads and writes. */
public interface BuildContext {
    @NonNull String layerName();

    @NonNull Shape inputShape();

    @NonNull Shape outputShape();

    @NonNull DType dtype();

    int maxBatch();

    /** Rows of {@code inputShape().size()} elements, up to {@link #maxBatch()} rows. */
    @NonNull Buf input();

    /** Where backward writes dL/dinput; null when nothing upstream needs it (the first layer). */
    @Nullable Buf inputGrad();

    @NonNull Buf output();

    /** dL/doutput, written by the next layer or the loss before {@link Kernel#backward} runs. */
    @NonNull Buf outputGrad();

    /** How many inputs the layer was applied to (more than one only for merge layers). */
    default int inputCount() {
        return 1;
    }

    /** Input {@code i} of a merge layer, rows of {@code inputShape(i).size()} elements. */
    default @NonNull Buf input(int i) {
        if (i != 0) {
            throw new IndexOutOfBoundsException("layer '" + layerName() + "' has one input");
        }
        return input();
    }

    default @Nullable Buf inputGrad(int i) {
        if (i != 0) {
            throw new IndexOutOfBoundsException("layer '" + layerName() + "' has one input");
        }
        return inputGrad();
    }

    default @NonNull Shape inputShape(int i) {
        if (i != 0) {
            throw new IndexOutOfBoundsException("layer '" + layerName() + "' has one input");
        }
        return inputShape();
    }

    /** How many outputs the call has (more than one only for a recurrent layer with return_state). */
    default int outputCount() {
        return 1;
    }

    /** Output {@code i}: rows of {@code outputShape(i).size()} elements. */
    default @NonNull Buf output(int i) {
        if (i != 0) {
            throw new IndexOutOfBoundsException("layer '" + layerName() + "' has one output");
        }
        return output();
    }

    default @NonNull Buf outputGrad(int i) {
        if (i != 0) {
            throw new IndexOutOfBoundsException("layer '" + layerName() + "' has one output");
        }
        return outputGrad();
    }

    @NonNull Buf param(@NonNull String name);

    @NonNull Buf grad(@NonNull String name);

    /** A private buffer of {@code perSample} elements per row, kept between forward and backward. */
    @NonNull Buf scratch(int perSample);

    /** A shared buffer of at least {@code length} ones, for bias GEMMs and column sums. */
    @NonNull Buf ones(int length);

    /** True when this is the last layer and the loss already delivers dL/d(pre-activation). */
    boolean lossFused();

    /** A seed for this layer's randomness, fixed by the model seed and the layer's position. */
    long seed();

    /**
     * False for the second and later calls of a shared layer: its weight penalties are added (to the loss and the
     * gradient) by the first call only.
     */
    default boolean regularizesWeights() {
        return true;
    }

    /**
     * True when the model freezes this layer (Keras' {@code trainable=False}): its weights still get gradients but
     * are not updated, their penalties are not part of the loss, and BatchNormalization normalises with its moving
     * statistics, in training too, and leaves them as they are.
     */
    default boolean frozen() {
        return false;
    }

    /** The time-step mask of the input, {@code [maxBatch, steps]} (1 real, 0 padding), or null when there is none. */
    default @Nullable Buf inputMask() {
        return null;
    }

    /**
     * State that outlives a batch (a stateful RNN's last h and c), shared by every plan of the model and kept until
     * {@code model.resetStates()}: {@code length} zeros the first time this layer asks for {@code name}.
     */
    default double @NonNull [] persistentState(@NonNull String name, int length) {
        throw new UnsupportedOperationException("layer '" + layerName() + "' needs persistent state, which this context does not keep");
    }

    /** Where a {@link MaskRule#MAKE} layer writes its output's mask; null for other layers. */
    default @Nullable Buf outputMask() {
        return null;
    }
}
