package dlkit.model;

import dlkit.layers.Kernel;
import dlkit.tensor.Buf;
import org.jspecify.annotations.Nullable;

/**
 * A model compiled for one maximum batch size ({@link Planner} builds it): every activation, gradient and scratch
 * buffer allocated once; a step runs the kernels over the first n rows and allocates nothing. The kernels run in the
 * graph's topological order forwards and in reverse backwards.
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
    /** Which entry of {@link Model#layers()} each kernel belongs to (-1 for planner steps), for profiles. */
    final int[] kernelLayers;
    /** Elements allocated for activations (inputs and every call's output; less when an inference plan reuses memory). */
    final long activationElements;

    Plan(int maxBatch, Buf input, Buf[] inputs, Buf[] outputs, Buf[] outputGrads, @Nullable Buf inputGrad, boolean[] fusedOutputs,
         float[][] headLabels, Kernel[] kernels, int[] kernelLayers, long activationElements) {
        this.maxBatch = maxBatch;
        this.input = input;
        this.inputs = inputs;
        this.outputs = outputs;
        this.outputGrads = outputGrads;
        this.output = outputs[0];
        this.outputGrad = outputGrads[0];
        this.inputGrad = inputGrad;
        this.fusedOutputs = fusedOutputs;
        this.fused = fusedOutputs[0];
        this.headLabels = headLabels;
        this.kernels = kernels;
        this.kernelLayers = kernelLayers;
        this.activationElements = activationElements;
        this.inputSizes = new int[inputs.length];
        int packed = 0;
        for (int i = 0; i < inputs.length; i++) {
            inputSizes[i] = inputs[i].length() / maxBatch;
            packed += inputSizes[i];
        }
        this.packedWidth = packed;
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
}
