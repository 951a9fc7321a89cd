package dlkit.layers.internal;

import dlkit.layers.BuildContext;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import org.jspecify.annotations.Nullable;

/**
 * What a wrapper layer (Bidirectional, TimeDistributed) hands the layer inside it: its own shapes, batch size and
 * buffers, and the wrapper's weights under a prefix ({@code forward_} + {@code kernel}).
 */
public record SubContext(BuildContext outer, Shape inputShape, Shape outputShape, int maxBatch, Buf input, @Nullable Buf inputGrad, Buf output,
                  Buf outputGrad, String paramPrefix, long seed, @Nullable Buf inputMask) implements BuildContext {
    @Override
    public String layerName() {
        return outer.layerName();
    }

    @Override
    public DType dtype() {
        return outer.dtype();
    }

    @Override
    public Buf param(String name) {
        return outer.param(paramPrefix + name);
    }

    @Override
    public Buf grad(String name) {
        return outer.grad(paramPrefix + name);
    }

    @Override
    public Buf scratch(int perSample) {
        return Buf.allocate(outer.dtype(), maxBatch * perSample);
    }

    @Override
    public Buf ones(int length) {
        return outer.ones(length);
    }

    @Override
    public boolean lossFused() {
        return false;
    }

    @Override
    public double[] persistentState(String name, int length) {
        return outer.persistentState(paramPrefix + name, length);
    }

    @Override
    public boolean regularizesWeights() {
        return outer.regularizesWeights();
    }

    @Override
    public boolean frozen() {
        return outer.frozen();
    }
}
