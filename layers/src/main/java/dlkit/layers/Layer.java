package dlkit.layers;

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

    default @NonNull List<ParamSpec> params(@NonNull Shape input) {
        return List.of();
    }

    /** True when the output is the input's memory seen with another shape (Flatten, Reshape): no copy, no kernel work. */
    /** How the time-step mask passes through this layer (see {@link MaskRule}); most layers end it. */
    default @NonNull MaskRule maskRule() {
        return MaskRule.DROP;
    }

    default boolean aliasesInput() {
        return false;
    }

    /** The activation applied last, so a loss can fuse with it (softmax + cross-entropy). */
    default @Nullable Activation outputActivation() {
        return null;
    }

    @NonNull Kernel compile(@NonNull BuildContext ctx);
}
