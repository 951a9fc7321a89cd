package dlkit.model;

import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.MaskRule;
import dlkit.layers.ParamSpec;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A model compiled for one maximum batch size: every activation, gradient and scratch buffer allocated once; a step
 * runs the kernels over the first n rows and allocates nothing. Layers that only reshape alias their input's memory.
 * The model's graph runs in topological order; where a tensor feeds several calls (or is also an output), each
 * consumer writes its own gradient and a summing step adds them before the producer's backward. A shared layer's
 * later calls write private weight gradients, added into the layer's own after its first call's backward.
 */
final class Plan {
    final int maxBatch;
    /** Where a batch of samples is written: the only input's buffer, or the inputs packed per sample. */
    final Buf input;
    final Buf[] inputs;
    final Buf output;
    final Buf outputGrad;
    final Buf[] outputs;
    final Buf[] outputGrads;
    /** dL/d(model input), only when the plan was made with {@code inputGradient}; otherwise null. */
    final @Nullable Buf inputGrad;
    final boolean fused;
    final boolean[] fusedOutputs;
    /** Per-output label staging for models with several outputs (labels arrive packed per sample). */
    final float[][] headLabels;
    private final int[] inputSizes;
    private final int packedWidth;
    private final Kernel[] kernels;
    /** Elements allocated for activations (inputs and every call's output; less when an inference plan reuses memory). */
    final long activationElements;
    /** Which entry of {@link Model#layers()} each kernel belongs to (-1 for planner steps), for profiles. */
    final int[] kernelLayers;

    Plan(Model model, int maxBatch, boolean forTraining) {
        this(model, maxBatch, forTraining, false);
    }

    Plan(Model model, int maxBatch, boolean forTraining, boolean inputGradient) {
        this.maxBatch = maxBatch;
        DType dtype = model.dtype();
        Graph g = model.graph;
        List<Layer> layers = g.layers();
        List<Shape> shapes = g.tensorShapes();
        int tensors = shapes.size();
        // How many gradients flow into each tensor: one per consuming call input, one per time it is a model output.
        int[] consumers = new int[tensors];
        for (Graph.Node n : g.nodes()) {
            for (int t : n.in()) {
                consumers[t]++;
            }
        }
        for (int t : g.outputs()) {
            consumers[t]++;
        }
        Buf[] val = new Buf[tensors];
        // Inference plans (no backward) reuse an activation's memory once its last reader has run; training plans
        // keep every activation for the backward pass.
        boolean reuse = !forTraining && !inputGradient;
        int[] lastUse = new int[tensors];
        java.util.Arrays.fill(lastUse, -1);
        for (int i = 0; i < g.nodes().size(); i++) {
            for (int t : g.nodes().get(i).in()) {
                lastUse[t] = i;
            }
        }
        for (int t : g.outputs()) {
            lastUse[t] = Integer.MAX_VALUE;
        }
        for (int t : g.inputs()) {
            lastUse[t] = Integer.MAX_VALUE;
        }
        int[] owner = new int[tensors];
        int[] refs = new int[tensors];
        java.util.Map<Integer, java.util.ArrayDeque<Buf>> free = new java.util.HashMap<>();
        long activationElements = 0;
        Buf[] grad = new Buf[tensors];
        Buf[] mask = new Buf[tensors];
        List<List<Buf>> parts = new ArrayList<>();
        for (int t = 0; t < tensors; t++) {
            parts.add(new ArrayList<>());
        }
        int nIn = g.inputs().length;
        if (inputGradient && nIn != 1) {
            throw new IllegalStateException("input gradients are planned for single-input models only");
        }
        this.inputs = new Buf[nIn];
        this.inputSizes = new int[nIn];
        int packed = 0;
        for (int i = 0; i < nIn; i++) {
            int t = g.inputs()[i];
            val[t] = Buf.allocate(dtype, maxBatch * shapes.get(t).size());
            activationElements += (long) maxBatch * shapes.get(t).size();
            owner[t] = t;
            refs[t] = 1;
            // Usually nothing needs dL/d(model input), and first layers skip computing it (Conv2D takes a faster path).
            grad[t] = inputGradient ? Buf.allocate(dtype, maxBatch * shapes.get(t).size()) : null;
            inputs[i] = val[t];
            inputSizes[i] = shapes.get(t).size();
            packed += inputSizes[i];
        }
        this.packedWidth = packed;
        this.input = nIn == 1 ? inputs[0] : Buf.allocate(dtype, maxBatch * packed);
        this.inputGrad = nIn == 1 ? grad[g.inputs()[0]] : null;

        int nOut = g.outputs().length;
        this.fusedOutputs = new boolean[nOut];
        List<Model.Head> heads = model.heads();
        boolean[] fusedTensor = new boolean[tensors];
        for (int o = 0; o < nOut; o++) {
            int t = g.outputs()[o];
            Graph.Node p = g.producer(t);
            Layer producer = p == null ? null : layers.get(p.layer());
            fusedOutputs[o] = forTraining && !heads.isEmpty() && producer != null && !producer.aliasesInput() && consumers[t] == 1
                    && heads.get(o).loss().fusesWith(producer.outputActivation());
            fusedTensor[t] |= fusedOutputs[o];
        }

        int[] firstCall = g.firstCalls();
        int[] calls = g.callCounts();
        List<Kernel> ks = new ArrayList<>();
        List<Integer> kl = new ArrayList<>();
        List<List<Buf[]>> pendingShared = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            pendingShared.add(new ArrayList<>());
        }
        for (int ni = 0; ni < g.nodes().size(); ni++) {
            Graph.Node node = g.nodes().get(ni);
            Layer layer = layers.get(node.layer());
            int k = node.in().length;
            Buf[] in = new Buf[k];
            Buf[] inGrad = new Buf[k];
            Shape[] inShapes = new Shape[k];
            for (int j = 0; j < k; j++) {
                int t = node.in()[j];
                in[j] = val[t];
                inShapes[j] = shapes.get(t);
                if (grad[t] == null) {
                    inGrad[j] = null;
                } else if (consumers[t] == 1) {
                    inGrad[j] = grad[t];
                } else {
                    inGrad[j] = Buf.allocate(dtype, maxBatch * shapes.get(t).size());
                    parts.get(t).add(inGrad[j]);
                }
            }
            int t = node.out();
            Shape outShape = shapes.get(t);
            if (layer.aliasesInput() && node.outs().length == 1) {
                val[t] = in[0];
                owner[t] = owner[node.in()[0]];
                refs[owner[t]]++;
                grad[t] = inGrad[0] != null ? inGrad[0] : Buf.allocate(dtype, maxBatch * outShape.size());
            } else {
                int size = maxBatch * outShape.size();
                java.util.ArrayDeque<Buf> pool = reuse ? free.get(size) : null;
                if (pool != null && !pool.isEmpty()) {
                    val[t] = pool.pop();
                } else {
                    val[t] = Buf.allocate(dtype, size);
                    activationElements += size;
                }
                owner[t] = t;
                refs[t] = 1;
                grad[t] = Buf.allocate(dtype, maxBatch * outShape.size());
            }
            MaskRule rule = layer.maskRule();
            mask[t] = switch (rule) {
                case MAKE -> Buf.allocate(dtype, maxBatch * outShape.dim(0));
                case PASS -> mask[node.in()[0]];
                case DROP -> null;
            };
            // Further outputs (an RNN's final states): their own memory, no mask.
            int nOuts = node.outs().length;
            Buf[] outVals = new Buf[nOuts];
            Buf[] outGrads = new Buf[nOuts];
            outVals[0] = val[t];
            outGrads[0] = grad[t];
            for (int o = 1; o < nOuts; o++) {
                int to = node.outs()[o];
                val[to] = Buf.allocate(dtype, maxBatch * shapes.get(to).size());
                activationElements += (long) maxBatch * shapes.get(to).size();
                owner[to] = to;
                refs[to] = 1;
                grad[to] = Buf.allocate(dtype, maxBatch * shapes.get(to).size());
                outVals[o] = val[to];
                outGrads[o] = grad[to];
            }
            Context ctx = new Context(model, node, inShapes, outShape, maxBatch, in, inGrad, outVals, outGrads, nOuts == 1 && fusedTensor[t],
                    mask[node.in()[0]], rule == MaskRule.MAKE ? mask[t] : null, pendingShared.get(node.layer()));
            Kernel kernel = layer.compile(ctx);
            if (node.use() == 0 && calls[node.layer()] > 1) {
                kernel = new FirstCall(kernel, pendingShared.get(node.layer()));
            }
            ks.add(kernel);
            kl.add(node.layer());
            if (reuse) {
                // After this call, inputs nothing later reads give their memory back (aliases hold it until they die).
                for (int j = 0; j < node.in().length; j++) {
                    int u = node.in()[j];
                    boolean firstMention = true;
                    for (int k2 = 0; k2 < j; k2++) {
                        firstMention &= node.in()[k2] != u;
                    }
                    if (firstMention && lastUse[u] == ni && --refs[owner[u]] == 0) {
                        Buf b = val[owner[u]];
                        free.computeIfAbsent(b.length(), k3 -> new java.util.ArrayDeque<>()).push(b);
                    }
                }
            }
            for (int to : node.outs()) {
                if (consumers[to] > 1) {
                    // Runs (backward) after every consumer and before the producer.
                    ks.add(new GradSum(grad[to], parts.get(to), shapes.get(to).size()));
                    kl.add(-1);
                }
            }
        }
        this.outputs = new Buf[nOut];
        this.outputGrads = new Buf[nOut];
        for (int o = 0; o < nOut; o++) {
            int t = g.outputs()[o];
            outputs[o] = val[t];
            if (consumers[t] == 1) {
                outputGrads[o] = grad[t] != null ? grad[t] : Buf.allocate(dtype, maxBatch * shapes.get(t).size());
            } else {
                outputGrads[o] = Buf.allocate(dtype, maxBatch * shapes.get(t).size());
                if (grad[t] != null) {
                    parts.get(t).add(outputGrads[o]);
                }
            }
        }
        for (int i = 0; i < nIn; i++) {
            int t = g.inputs()[i];
            if (consumers[t] > 1 && grad[t] != null) {
                ks.add(0, new GradSum(grad[t], parts.get(t), shapes.get(t).size()));
                kl.add(0, -1);
            }
        }
        this.output = outputs[0];
        this.outputGrad = outputGrads[0];
        this.fused = fusedOutputs[0];
        this.headLabels = new float[nOut][];
        for (int o = 0; o < nOut && nOut > 1 && o < heads.size(); o++) {
            headLabels[o] = new float[maxBatch * heads.get(o).labelWidth()];
        }
        this.kernels = ks.toArray(new Kernel[0]);
        this.activationElements = activationElements;
        this.kernelLayers = kl.stream().mapToInt(Integer::intValue).toArray();
    }

    void forward(int n, boolean training, long step) {
        if (inputs.length > 1) {
            unpack(n);
        }
        for (Kernel k : kernels) {
            k.forward(n, training, step);
        }
    }

    /** Scatters packed samples [x₀ | x₁ | …] into the inputs' buffers. */
    private void unpack(int n) {
        for (int r = 0; r < n; r++) {
            int off = r * packedWidth;
            for (int i = 0; i < inputs.length; i++) {
                inputs[i].copyFrom(input, off, r * inputSizes[i], inputSizes[i]);
                off += inputSizes[i];
            }
        }
    }

    void backward(int n) {
        for (int i = kernels.length - 1; i >= 0; i--) {
            kernels[i].backward(n);
        }
    }

    /** As one training step's forward and backward, adding each kernel's wall time to its layer's {@code fwd} / {@code bwd}. */
    void timedStep(int n, long step, long[] fwd, long[] bwd, Runnable loss) {
        if (inputs.length > 1) {
            unpack(n);
        }
        for (int i = 0; i < kernels.length; i++) {
            long t = System.nanoTime();
            kernels[i].forward(n, true, step);
            if (kernelLayers[i] >= 0) {
                fwd[kernelLayers[i]] += System.nanoTime() - t;
            }
        }
        loss.run();
        for (int i = kernels.length - 1; i >= 0; i--) {
            long t = System.nanoTime();
            kernels[i].backward(n);
            if (kernelLayers[i] >= 0) {
                bwd[kernelLayers[i]] += System.nanoTime() - t;
            }
        }
    }

    double penalty() {
        double p = 0;
        for (Kernel k : kernels) {
            p += k.penalty();
        }
        return p;
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
                addInto(target, parts.get(i), len);
            }
        }
    }

    static void addInto(Buf target, Buf part, int len) {
        double[] a = STAGE_A.get();
        double[] b = STAGE_B.get();
        for (int done = 0; done < len; done += a.length) {
            int m = Math.min(a.length, len - done);
            target.get(done, a, 0, m);
            part.get(done, b, 0, m);
            for (int j = 0; j < m; j++) {
                a[j] += b[j];
            }
            target.put(done, a, 0, m);
        }
    }

    /** target[0, len) *= factor, through a heap chunk (element-wise buffer access is slow). */
    static void scale(Buf target, int len, double factor) {
        double[] a = STAGE_A.get();
        for (int done = 0; done < len; done += a.length) {
            int m = Math.min(a.length, len - done);
            target.get(done, a, 0, m);
            for (int j = 0; j < m; j++) {
                a[j] *= factor;
            }
            target.put(done, a, 0, m);
        }
    }

    private static final ThreadLocal<double[]> STAGE_A = ThreadLocal.withInitial(() -> new double[4096]);
    private static final ThreadLocal<double[]> STAGE_B = ThreadLocal.withInitial(() -> new double[4096]);

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
                addInto(p[0], p[1], p[0].length());
            }
        }

        @Override
        public double penalty() {
            return inner.penalty();
        }
    }

    private static final class Context implements BuildContext {
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

        Context(Model model, Graph.Node node, Shape[] inShapes, Shape outShape, int maxBatch, Buf[] inputs, @Nullable Buf[] inputGrads,
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
            long s = model.seedFor(node.layer());
            return node.use() == 0 ? s : s * 0x9E3779B97F4A7C15L + node.use();
        }

        @Override
        public boolean regularizesWeights() {
            return node.use() == 0;
        }

        @Override
        public @Nullable Buf inputMask() {
            return inputMask;
        }

        @Override
        public double[] persistentState(String name, int length) {
            return model.persistentState(layerName() + (node.use() > 0 ? ":" + node.use() : "") + "." + name, length);
        }

        @Override
        public @Nullable Buf outputMask() {
            return outputMask;
        }
    }
}
