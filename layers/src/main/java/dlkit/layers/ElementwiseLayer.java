package dlkit.layers;

import dlkit.tensor.Shape;
import org.jspecify.annotations.NonNull;

/**
 * A layer that maps each element on its own (an activation, dropout, noise, an activity penalty): the output has
 * the input's shape, and a sequence keeps its time-step mask.
 */
public abstract class ElementwiseLayer<C extends Record & LayerConfig, B extends ConfigBuilder<C>, L extends Layer>
        extends AbstractLayer<C, B, L> {
    protected ElementwiseLayer(@NonNull LayerType<C, B, L> type, @NonNull C config) {
        super(type, config);
    }

    @Override
    public final @NonNull Shape outputShape(@NonNull Shape input) {
        return input;
    }

    @Override
    public final @NonNull MaskRule maskRule() {
        return MaskRule.PASS;
    }
}
