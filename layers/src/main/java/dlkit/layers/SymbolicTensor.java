package dlkit.layers;

import dlkit.tensor.Shape;
import org.jspecify.annotations.NonNull;

/**
 * A placeholder for a tensor in the functional API: an {@link Input} or the result of applying a layer to other
 * symbolic tensors ({@link LayerCall}). It knows its per-sample shape, so a layer that does not fit fails where it is
 * applied, not when the model is built.
 */
public sealed interface SymbolicTensor permits Input, LayerCall {
    /** The shape of one sample (no batch axis). */
    @NonNull Shape shape();
}
