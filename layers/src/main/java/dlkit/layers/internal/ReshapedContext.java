package dlkit.layers.internal;

import dlkit.layers.BuildContext;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import org.jspecify.annotations.Nullable;

/**
 * The same buffers seen with other per-sample shapes, so a 1-D layer runs its 2-D sibling's kernel: a sequence
 * {@code [steps, channels]} is an image {@code [1, steps, channels]} with no copy.
 */
public record ReshapedContext(BuildContext inner, Shape inputShape, Shape outputShape) implements BuildContext {
    public ReshapedContext {
        if (inputShape.size() != inner.inputShape().size() || outputShape.size() != inner.outputShape().size()) {
            throw new IllegalArgumentException("a reshaped context must keep the element counts");
        }
    }

    /** A sequence shape {@code [steps, channels]} as the image {@code [1, steps, channels]}. */
    public static Shape asImage(Shape sequence) {
        return Shape.of(1, sequence.dim(0), sequence.dim(1));
    }

    @Override
    public String layerName() {
        return inner.layerName();
    }

    @Override
    public DType dtype() {
        return inner.dtype();
    }

    @Override
    public int maxBatch() {
        return inner.maxBatch();
    }

    @Override
    public Buf input() {
        return inner.input();
    }

    @Override
    public @Nullable Buf inputGrad() {
        return inner.inputGrad();
    }

    @Override
    public Buf output() {
        return inner.output();
    }

    @Override
    public Buf outputGrad() {
        return inner.outputGrad();
    }

    @Override
    public Buf param(String name) {
        return inner.param(name);
    }

    @Override
    public Buf grad(String name) {
        return inner.grad(name);
    }

    @Override
    public Buf scratch(int perSample) {
        return inner.scratch(perSample);
    }

    @Override
    public Buf ones(int length) {
        return inner.ones(length);
    }

    @Override
    public boolean lossFused() {
        return inner.lossFused();
    }

    @Override
    public long seed() {
        return inner.seed();
    }

    @Override
    public boolean regularizesWeights() {
        return inner.regularizesWeights();
    }

    @Override
    public boolean frozen() {
        return inner.frozen();
    }
}
