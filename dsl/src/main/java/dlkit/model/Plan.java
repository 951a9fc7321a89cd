package dlkit.model;

import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.MaskRule;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A model compiled for one maximum batch size: every activation, gradient and scratch buffer allocated once; a step
 * runs the kernels over the first n rows and allocates nothing. Layers that only reshape alias their input's memory.
 */
final class Plan {
    final int maxBatch;
    final Buf input;
    final Buf output;
    final Buf outputGrad;
    /** dL/d(model input), only when the plan was made with {@code inputGradient}; otherwise null. */
    final @Nullable Buf inputGrad;
    final boolean fused;
    private final Kernel[] kernels;

    Plan(Model model, int maxBatch, boolean fused) {
        this(model, maxBatch, fused, false);
    }

    Plan(Model model, int maxBatch, boolean fused, boolean inputGradient) {
        this.maxBatch = maxBatch;
        this.fused = fused;
        DType dtype = model.dtype();
        List<Layer> layers = model.layers();
        List<Shape> shapes = model.outputShapes();
        Buf in = Buf.allocate(dtype, maxBatch * model.inputShape().size());
        Buf cur = in;
        // Usually nothing needs dL/d(model input), and first layers skip computing it (Conv2D takes a faster path).
        @Nullable Buf curGrad = inputGradient ? Buf.allocate(dtype, maxBatch * model.inputShape().size()) : null;
        this.inputGrad = curGrad;
        List<Kernel> ks = new ArrayList<>();
        // The time-step mask, from the layer that made it (Embedding mask_zero, Masking) through those that keep it.
        @Nullable Buf mask = null;
        for (int i = 1; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            Shape inShape = shapes.get(i - 1);
            Shape outShape = shapes.get(i);
            boolean last = i == layers.size() - 1;
            Buf out;
            Buf outGrad;
            if (layer.aliasesInput()) {
                out = cur;
                outGrad = curGrad != null ? curGrad : Buf.allocate(dtype, maxBatch * outShape.size());
            } else {
                out = Buf.allocate(dtype, maxBatch * outShape.size());
                outGrad = Buf.allocate(dtype, maxBatch * outShape.size());
            }
            MaskRule rule = layer.maskRule();
            @Nullable Buf outMask = switch (rule) {
                case MAKE -> Buf.allocate(dtype, maxBatch * outShape.dim(0));
                case PASS -> mask;
                case DROP -> null;
            };
            ks.add(layer.compile(new Context(model, i, inShape, outShape, maxBatch, cur, curGrad, out, outGrad, fused && last,
                    mask, rule == MaskRule.MAKE ? outMask : null)));
            mask = outMask;
            cur = out;
            curGrad = outGrad;
        }
        this.input = in;
        this.output = cur;
        this.outputGrad = curGrad == null ? Buf.allocate(dtype, maxBatch * model.outputShape().size()) : curGrad;
        this.kernels = ks.toArray(new Kernel[0]);
    }

    void forward(int n, boolean training, long step) {
        for (Kernel k : kernels) {
            k.forward(n, training, step);
        }
    }

    void backward(int n) {
        for (int i = kernels.length - 1; i >= 0; i--) {
            kernels[i].backward(n);
        }
    }

    /** As one training step's forward and backward, adding each kernel's wall time to {@code fwd[i]} / {@code bwd[i]}. */
    void timedStep(int n, long step, long[] fwd, long[] bwd, Runnable loss) {
        for (int i = 0; i < kernels.length; i++) {
            long t = System.nanoTime();
            kernels[i].forward(n, true, step);
            fwd[i] += System.nanoTime() - t;
        }
        loss.run();
        for (int i = kernels.length - 1; i >= 0; i--) {
            long t = System.nanoTime();
            kernels[i].backward(n);
            bwd[i] += System.nanoTime() - t;
        }
    }

    double penalty() {
        double p = 0;
        for (Kernel k : kernels) {
            p += k.penalty();
        }
        return p;
    }

    private static final class Context implements BuildContext {
        private final Model model;
        private final int index;
        private final Shape inShape;
        private final Shape outShape;
        private final int maxBatch;
        private final Buf input;
        private final @Nullable Buf inputGrad;
        private final Buf output;
        private final Buf outputGrad;
        private final boolean fused;
        private final @Nullable Buf inputMask;
        private final @Nullable Buf outputMask;

        Context(Model model, int index, Shape inShape, Shape outShape, int maxBatch, Buf input, @Nullable Buf inputGrad,
                Buf output, Buf outputGrad, boolean fused, @Nullable Buf inputMask, @Nullable Buf outputMask) {
            this.inputMask = inputMask;
            this.outputMask = outputMask;
            this.model = model;
            this.index = index;
            this.inShape = inShape;
            this.outShape = outShape;
            this.maxBatch = maxBatch;
            this.input = input;
            this.inputGrad = inputGrad;
            this.output = output;
            this.outputGrad = outputGrad;
            this.fused = fused;
        }

        @Override
        public String layerName() {
            return model.layers().get(index).name();
        }

        @Override
        public Shape inputShape() {
            return inShape;
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
            return input;
        }

        @Override
        public @Nullable Buf inputGrad() {
            return inputGrad;
        }

        @Override
        public Buf output() {
            return output;
        }

        @Override
        public Buf outputGrad() {
            return outputGrad;
        }

        @Override
        public Buf param(String name) {
            return model.weights.param(index, name);
        }

        @Override
        public Buf grad(String name) {
            return model.weights.grad(index, name);
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
            return model.seedFor(index);
        }

        @Override
        public @Nullable Buf inputMask() {
            return inputMask;
        }

        @Override
        public double[] persistentState(String name, int length) {
            return model.persistentState(layerName() + "." + name, length);
        }

        @Override
        public @Nullable Buf outputMask() {
            return outputMask;
        }
    }
}
