package dlkit.model;

import dlkit.layers.BuildContext;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the planner hands one call of a layer while compiling it: the call's shapes and buffers, the model's weights
 * (a shared layer's later calls get private gradients, added in after the first call's backward), its seed and the
 * state stateful layers carry between batches.
 */
final class PlanContext implements BuildContext {
    private final Model model;
    private final Graph.Node node;
    private final Shape[] inShapes;
    private final Shape outShape;
    private final int maxBatch;
    private final Buf[] inputs;
    private final @Nullable Buf[] inputGrads;
    private final Buf[] outputs;
    private final Buf[] outputGrads;
    private final boolean fused;
    private final @Nullable Buf inputMask;
    private final @Nullable Buf outputMask;
    private final List<Buf[]> sharedGrads;

    PlanContext(Model model, Graph.Node node, Shape[] inShapes, Shape outShape, int maxBatch, Buf[] inputs, @Nullable Buf[] inputGrads,
            Buf[] outputs, Buf[] outputGrads, boolean fused, @Nullable Buf inputMask, @Nullable Buf outputMask, List<Buf[]> sharedGrads) {
        this.model = model;
        this.node = node;
        this.inShapes = inShapes;
        this.outShape = outShape;
        this.maxBatch = maxBatch;
        this.inputs = inputs;
        this.inputGrads = inputGrads;
        this.outputs = outputs;
        this.outputGrads = outputGrads;
        this.fused = fused;
        this.inputMask = inputMask;
        this.outputMask = outputMask;
        this.sharedGrads = sharedGrads;
    }

    @Override
    public String layerName() {
        return model.layers().get(node.layer()).name();
    }

    @Override
    public Shape inputShape() {
        return inShapes[0];
    }

    @Override
    public Shape outputShape() {
        return outShape;
    }

    @Override
    public DType dtype() {
        return model.dtype();
    }

    @Override
    public int maxBatch() {
        return maxBatch;
    }

    @Override
    public Buf input() {
        return inputs[0];
    }

    @Override
    public @Nullable Buf inputGrad() {
        return inputGrads[0];
    }

    @Override
    public int inputCount() {
        return inputs.length;
    }

    @Override
    public Buf input(int i) {
        return inputs[i];
    }

    @Override
    public @Nullable Buf inputGrad(int i) {
        return inputGrads[i];
    }

    @Override
    public Shape inputShape(int i) {
        return inShapes[i];
    }

    @Override
    public Buf output() {
        return outputs[0];
    }

    @Override
    public Buf outputGrad() {
        return outputGrads[0];
    }

    @Override
    public int outputCount() {
        return outputs.length;
    }

    @Override
    public Buf output(int i) {
        return outputs[i];
    }

    @Override
    public Buf outputGrad(int i) {
        return outputGrads[i];
    }

    @Override
    public Buf param(String name) {
        return model.weights.param(node.layer(), name);
    }

    @Override
    public Buf grad(String name) {
        Buf real = model.weights.grad(node.layer(), name);
        if (node.use() == 0) {
            return real;
        }
        Buf own = Buf.allocate(model.dtype(), real.length());
        sharedGrads.add(new Buf[] {real, own});
        return own;
    }

    @Override
    public Buf scratch(int perSample) {
        return Buf.allocate(model.dtype(), maxBatch * perSample);
    }

    @Override
    public Buf ones(int length) {
        Buf b = Buf.allocate(model.dtype(), length);
        b.fill(1, length);
        return b;
    }

    @Override
    public boolean lossFused() {
        return fused;
    }

    @Override
    public long seed() {
        long s = model.execution.seedFor(model.weights.streams[node.layer()]);
        return node.use() == 0 ? s : s * 0x9E3779B97F4A7C15L + node.use();
    }

    @Override
    public boolean regularizesWeights() {
        return node.use() == 0;
    }

    @Override
    public boolean frozen() {
        return model.isFrozen(node.layer());
    }

    @Override
    public @Nullable Buf inputMask() {
        return inputMask;
    }

    @Override
    public double[] persistentState(String name, int length) {
        return model.execution.persistentState(layerName() + (node.use() > 0 ? ":" + node.use() : "") + "." + name, length);
    }

    @Override
    public @Nullable Buf outputMask() {
        return outputMask;
    }
}
