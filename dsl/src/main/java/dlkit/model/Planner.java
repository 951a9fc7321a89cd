package dlkit.model;

import dlkit.ResourceException;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.MaskRule;
import dlkit.layers.ParamSpec;
import dlkit.tensor.Blas;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Memory;
import dlkit.tensor.Shape;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Plan}: walks the model's graph in topological order, gives every tensor its value and gradient
 * buffers (aliases for layers that only reshape, reused memory in inference plans), compiles each call's kernel
 * against them, and adds the steps that sum a tensor's gradient from its several consumers.
 */
final class Planner {
    private final Model model;
    private final Graph g;
    private final DType dtype;
    private final int maxBatch;
    private final boolean forTraining;
    private final boolean inputGradient;
    /** Inference plans reuse an activation's memory once its last reader has run; training keeps all for backward. */
    private final boolean reuse;
    private final List<Shape> shapes;
    /** How many gradients flow into each tensor: one per consuming call input, one per time it is a model output. */
    private final int[] consumers;
    private final int[] lastUse;
    private final Buf[] val;
    private final Buf[] grad;
    /** Whether dL/dt is wanted: some layer at or before t has trainable weights, or the caller asked for dL/d(input). */
    private final boolean[] needsGrad;
    private final Buf[] mask;
    /** Per tensor read by several calls: each consumer's own gradient, summed before the producer's backward. */
    private final List<List<Buf>> parts = new ArrayList<>();
    /** Which tensor owns the memory a tensor lives in (itself, or what it aliases) and how many tensors use it. */
    private final int[] owner;
    private final int[] refs;
    private final Map<Integer, ArrayDeque<Buf>> free = new HashMap<>();
    private final List<Kernel> kernels = new ArrayList<>();
    private final List<Integer> kernelLayers = new ArrayList<>();
    /** A shared layer's later calls' private weight gradients, per layer: [the layer's gradient, the call's]. */
    private final List<List<Buf[]>> pendingShared = new ArrayList<>();
    private final int[] callCounts;
    private long activationElements;
    private boolean[] fusedTensor;

    Planner(Model model, int maxBatch, boolean forTraining, boolean inputGradient) {
        this.model = model;
        this.g = model.graph;
        this.dtype = model.dtype();
        this.maxBatch = maxBatch;
        this.forTraining = forTraining;
        this.inputGradient = inputGradient;
        this.reuse = !forTraining && !inputGradient;
        this.shapes = g.tensorShapes();
        int tensors = shapes.size();
        this.consumers = new int[tensors];
        this.lastUse = new int[tensors];
        this.val = new Buf[tensors];
        this.grad = new Buf[tensors];
        this.needsGrad = new boolean[tensors];
        this.mask = new Buf[tensors];
        this.owner = new int[tensors];
        this.refs = new int[tensors];
        this.callCounts = g.callCounts();
        Arrays.fill(lastUse, -1);
        for (int i = 0; i < g.nodes().size(); i++) {
            for (int t : g.nodes().get(i).in()) {
                consumers[t]++;
                lastUse[t] = i;
            }
        }
        for (int t : g.outputs()) {
            consumers[t]++;
            lastUse[t] = Integer.MAX_VALUE;
        }
        for (int t : g.inputs()) {
            lastUse[t] = Integer.MAX_VALUE;
        }
        for (int t = 0; t < tensors; t++) {
            parts.add(new ArrayList<>());
        }
        for (int i = 0; i < g.layers().size(); i++) {
            pendingShared.add(new ArrayList<>());
        }
    }

    Plan build() {
        if (inputGradient && g.inputs().length != 1) {
            throw new IllegalStateException("input gradients are planned for single-input models only");
        }
        checkMemory(shapes, dtype, maxBatch, forTraining);
        Buf[] inputs = allocateInputs();
        boolean[] fusedOutputs = fuseOutputs();
        for (int ni = 0; ni < g.nodes().size(); ni++) {
            compileCall(ni);
        }
        int nOut = g.outputs().length;
        Buf[] outputs = new Buf[nOut];
        Buf[] outputGrads = new Buf[nOut];
        for (int o = 0; o < nOut; o++) {
            int t = g.outputs()[o];
            outputs[o] = val[t];
            if (consumers[t] == 1) {
                outputGrads[o] = grad[t] != null ? grad[t] : allocate(t);
            } else {
                outputGrads[o] = allocate(t);
                if (grad[t] != null) {
                    parts.get(t).add(outputGrads[o]);
                }
            }
        }
        for (int t : g.inputs()) {
            if (consumers[t] > 1 && grad[t] != null) {
                kernels.add(0, new GradSum(grad[t], parts.get(t), shapes.get(t).size()));
                kernelLayers.add(0, -1);
            }
        }
        int packedWidth = Arrays.stream(g.inputs()).map(t -> shapes.get(t).size()).sum();
        Buf input = inputs.length == 1 ? inputs[0] : Buf.allocate(dtype, maxBatch * packedWidth);
        List<Objective.Head> heads = model.heads();
        float[][] headLabels = new float[nOut][];
        for (int o = 0; o < nOut && nOut > 1 && o < heads.size(); o++) {
            headLabels[o] = new float[maxBatch * heads.get(o).labelWidth()];
        }
        return new Plan(maxBatch, input, inputs, outputs, outputGrads, inputs.length == 1 ? grad[g.inputs()[0]] : null, fusedOutputs,
                headLabels, kernels.toArray(new Kernel[0]), kernelLayers.stream().mapToInt(Integer::intValue).toArray(), activationElements);
    }

    /**
     * Before anything is allocated: every activation buffer must be addressable (under 2^31 values) and all of them
     * (with their gradients when training) must fit the native memory left, else an error naming the batch size.
     */
    static void checkMemory(List<Shape> shapes, DType dtype, int maxBatch, boolean forTraining) {
        long perSample = 0;
        for (int t = 0; t < shapes.size(); t++) {
            int size = shapes.get(t).size();
            if ((long) maxBatch * size > Integer.MAX_VALUE - 8) {
                throw new ResourceException("a batch of " + maxBatch + " samples of shape " + shapes.get(t) + " is " + String.format("%,d", (long) maxBatch * size)
                        + " values, more than one buffer holds (2^31); use a smaller batch_size");
            }
            perSample += size;
        }
        long values = Memory.product(maxBatch, perSample, forTraining ? 2 : 1);
        Memory.requireOffHeap(Memory.product(values, dtype.bytes()), "a batch of " + maxBatch + " samples (" + String.format("%,d", perSample)
                + " activation values each" + (forTraining ? ", and their gradients" : "") + ")");
    }

    private Buf allocate(int tensor) {
        return Buf.allocate(dtype, maxBatch * shapes.get(tensor).size());
    }

    /** A tensor's value buffer: new, or (inference) one a dead activation of the same size gave back. */
    private void newValue(int t) {
        int size = maxBatch * shapes.get(t).size();
        ArrayDeque<Buf> pool = reuse ? free.get(size) : null;
        if (pool != null && !pool.isEmpty()) {
            val[t] = pool.pop();
        } else {
            val[t] = Buf.allocate(dtype, size);
            activationElements += size;
        }
        owner[t] = t;
        refs[t] = 1;
    }

    private Buf[] allocateInputs() {
        Buf[] inputs = new Buf[g.inputs().length];
        for (int i = 0; i < inputs.length; i++) {
            int t = g.inputs()[i];
            val[t] = allocate(t);
            activationElements += (long) maxBatch * shapes.get(t).size();
            owner[t] = t;
            refs[t] = 1;
            // Usually nothing needs dL/d(model input), and first layers skip computing it (Conv2D takes a faster path).
            grad[t] = inputGradient ? allocate(t) : null;
            needsGrad[t] = inputGradient;
            inputs[i] = val[t];
        }
        return inputs;
    }

    /** Outputs whose loss takes the gradient straight to the pre-activation (softmax + cross-entropy). */
    private boolean[] fuseOutputs() {
        int nOut = g.outputs().length;
        boolean[] fused = new boolean[nOut];
        fusedTensor = new boolean[shapes.size()];
        List<Objective.Head> heads = model.heads();
        for (int o = 0; o < nOut; o++) {
            int t = g.outputs()[o];
            Graph.Node p = g.producer(t);
            Layer producer = p == null ? null : g.layers().get(p.layer());
            fused[o] = forTraining && !heads.isEmpty() && producer != null && !producer.aliasesInput() && consumers[t] == 1
                    && heads.get(o).loss().fusesWith(producer.outputActivation());
            fusedTensor[t] |= fused[o];
        }
        return fused;
    }

    /** Plans call {@code ni}: its inputs' gradient buffers, its outputs' memory and mask, and its compiled kernel. */
    private void compileCall(int ni) {
        Graph.Node node = g.nodes().get(ni);
        Layer layer = g.layers().get(node.layer());
        int k = node.in().length;
        Buf[] in = new Buf[k];
        Buf[] inGrad = new Buf[k];
        Shape[] inShapes = new Shape[k];
        for (int j = 0; j < k; j++) {
            int t = node.in()[j];
            in[j] = val[t];
            inShapes[j] = shapes.get(t);
            if (!needsGrad[t]) {
                // Nothing upstream learns (a model input, or only Rescaling before): the layer skips its input gradient.
                inGrad[j] = null;
            } else if (grad[t] != null && consumers[t] > 1) {
                inGrad[j] = allocate(t);
                parts.get(t).add(inGrad[j]);
            } else {
                inGrad[j] = grad[t];
            }
        }
        int t = node.out();
        boolean need = layer.params(inShapes[0]).stream().anyMatch(ParamSpec::trainable);
        for (int u : node.in()) {
            need |= needsGrad[u];
        }
        for (int o : node.outs()) {
            needsGrad[o] = need;
        }
        if (layer.aliasesInput() && node.outs().length == 1) {
            val[t] = in[0];
            owner[t] = owner[node.in()[0]];
            refs[owner[t]]++;
            grad[t] = inGrad[0] != null ? inGrad[0] : allocate(t);
        } else {
            newValue(t);
            grad[t] = allocate(t);
        }
        MaskRule rule = layer.maskRule();
        mask[t] = switch (rule) {
            case MAKE -> Buf.allocate(dtype, maxBatch * shapes.get(t).dim(0));
            case PASS -> mask[node.in()[0]];
            case DROP -> null;
        };
        // Further outputs (an RNN's final states): their own memory, no mask.
        int nOuts = node.outs().length;
        for (int o = 1; o < nOuts; o++) {
            int to = node.outs()[o];
            val[to] = allocate(to);
            activationElements += (long) maxBatch * shapes.get(to).size();
            owner[to] = to;
            refs[to] = 1;
            grad[to] = allocate(to);
        }
        Buf[] outVals = Arrays.stream(node.outs()).mapToObj(o -> val[o]).toArray(Buf[]::new);
        Buf[] outGrads = Arrays.stream(node.outs()).mapToObj(o -> grad[o]).toArray(Buf[]::new);
        PlanContext ctx = new PlanContext(model, node, inShapes, shapes.get(t), maxBatch, in, inGrad, outVals, outGrads,
                nOuts == 1 && fusedTensor[t], mask[node.in()[0]], rule == MaskRule.MAKE ? mask[t] : null, pendingShared.get(node.layer()));
        Kernel kernel = layer.compile(ctx);
        if (node.use() == 0 && callCounts[node.layer()] > 1) {
            kernel = new FirstCall(kernel, pendingShared.get(node.layer()));
        }
        kernels.add(kernel);
        kernelLayers.add(node.layer());
        if (reuse) {
            release(node, ni);
        }
        for (int to : node.outs()) {
            if (consumers[to] > 1 && needsGrad[to]) {
                // Runs (backward) after every consumer and before the producer.
                kernels.add(new GradSum(grad[to], parts.get(to), shapes.get(to).size()));
                kernelLayers.add(-1);
            }
        }
    }

    /** After call {@code ni}, inputs nothing later reads give their memory back (aliases hold it until they die). */
    private void release(Graph.Node node, int ni) {
        for (int j = 0; j < node.in().length; j++) {
            int u = node.in()[j];
            boolean firstMention = true;
            for (int k = 0; k < j; k++) {
                firstMention &= node.in()[k] != u;
            }
            if (firstMention && lastUse[u] == ni && --refs[owner[u]] == 0) {
                Buf b = val[owner[u]];
                free.computeIfAbsent(b.length(), x -> new ArrayDeque<>()).push(b);
            }
        }
    }

    /** dL/dt = the sum of what each consumer of t wrote. */
    private record GradSum(Buf target, List<Buf> parts, int width) implements Kernel {
        @Override
        public void forward(int n, boolean training, long step) {}

        @Override
        public void backward(int n) {
            int len = n * width;
            target.copyFrom(parts.get(0), 0, 0, len);
            for (int i = 1; i < parts.size(); i++) {
                Blas.axpy(len, 1, parts.get(i), target);
            }
        }
    }

    /** A shared layer's first call: after its backward, the later calls' private weight gradients are added in. */
    private record FirstCall(Kernel inner, List<Buf[]> pairs) implements Kernel {
        @Override
        public void forward(int n, boolean training, long step) {
            inner.forward(n, training, step);
        }

        @Override
        public void backward(int n) {
            inner.backward(n);
            for (Buf[] p : pairs) {
                Blas.axpy(p[0].length(), 1, p[1], p[0]);
            }
        }

        @Override
        public double penalty() {
            return inner.penalty();
        }
    }
}
