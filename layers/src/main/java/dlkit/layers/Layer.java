package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.List;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A layer is configuration only (Keras' constructor arguments, as a record); {@link #outputShape} answers shapes
 * without computing, {@link #params} declares weights, and {@link #compile} binds the layer to planned buffers.
 * Layers are immutable: the fluent setters return a changed copy.
 */
public interface Layer {
    /** The stable name in the registry and in JSON ({@code "Dense"}). */
    @NonNull String type();

    /** The user's name, or null to let the model assign {@code dense}, {@code dense_1}, … */
    @Nullable String name();

    @NonNull Layer named(@NonNull String name);

    /** The configuration record, serialised as the layer's JSON. */
    @NonNull Record config();

    /** Raises {@link dlkit.ShapeException} naming this layer when {@code input} does not fit. */
    @NonNull Shape outputShape(@NonNull Shape input);

    /**
     * The output shape for several inputs (merge layers override this); a single-input layer takes exactly one.
     */
    default @NonNull Shape outputShape(@NonNull List<Shape> inputs) {
        if (inputs.size() != 1) {
            throw new ShapeException(type() + " takes one input, got " + inputs.size());
        }
        return outputShape(inputs.get(0));
    }

    /**
     * The shapes of everything one call produces: the {@link #outputShape} for most layers; a recurrent layer with
     * {@code return_state} adds its final states.
     */
    default @NonNull List<Shape> outputShapes(@NonNull List<Shape> inputs) {
        return List.of(outputShape(inputs));
    }

    /** Applies this layer and returns all its outputs: {@code var outs = lstm.applyAll(x); // [sequence, h, c]}. */
    default @NonNull List<LayerCall> applyAll(@NonNull SymbolicTensor @NonNull ... inputs) {
        return LayerCall.all(this, List.of(inputs));
    }

    default @NonNull List<LayerCall> applyAll(@NonNull List<? extends SymbolicTensor> inputs) {
        return LayerCall.all(this, inputs);
    }

    /**
     * Applies this layer to symbolic tensors (the functional API): the result feeds other layers or becomes a model
     * output. Applying one layer object twice shares its weights.
     */
    default @NonNull LayerCall apply(@NonNull SymbolicTensor @NonNull ... inputs) {
        return LayerCall.of(this, List.of(inputs));
    }

    default @NonNull LayerCall apply(@NonNull List<? extends SymbolicTensor> inputs) {
        return LayerCall.of(this, inputs);
    }

    /** As {@link #apply}, so Kotlin can call a layer like a function: {@code Dense.of(10)(x)}. */
    default @NonNull LayerCall invoke(@NonNull SymbolicTensor @NonNull ... inputs) {
        return LayerCall.of(this, List.of(inputs));
    }

    default @NonNull List<ParamSpec> params(@NonNull Shape input) {
        return List.of();
    }

    /**
     * Floating-point operations of one sample's forward pass (a multiply-add counts 2) in the matrix products and
     * convolutions, for benchmarks' GFLOP/s; 0 for layers whose work is not counted (element-wise, pooling).
     */
    default long forwardFlops(@NonNull Shape input) {
        return 0;
    }

    /** How the time-step mask passes through this layer (see {@link MaskRule}); most layers end it. */
    default @NonNull MaskRule maskRule() {
        return MaskRule.DROP;
    }

    /** True when the output is the input's memory seen with another shape (Flatten, Reshape): no copy, no kernel work. */
    default boolean aliasesInput() {
        return false;
    }

    /** The activation applied last, so a loss can fuse with it (softmax + cross-entropy). */
    default @Nullable Activation outputActivation() {
        return null;
    }

    @NonNull Kernel compile(@NonNull BuildContext ctx);
}
