package dlkit.model;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * Inference on one planned batch of up to {@link #maxBatch()} samples, from and into caller-owned float arrays: the
 * plan is built once, so a call allocates nothing (a server keeps one per model and reuses its arrays). Not
 * thread-safe: one caller at a time, as a plan's buffers are shared by every call.
 */
public final class Predictor {
    private final Model model;
    private final Plan plan;
    private final int[] inputSizes;
    private final int[] outputSizes;

    Predictor(Model model, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
        }
        model.ensureInitialized(null);
        model.checkMemory(maxBatch, false);
        this.model = model;
        this.plan = model.plan(maxBatch, false);
        List<Shape> in = model.inputShapes();
        List<Shape> out = model.outputShapes();
        this.inputSizes = in.stream().mapToInt(Shape::size).toArray();
        this.outputSizes = out.stream().mapToInt(Shape::size).toArray();
    }

    public int maxBatch() {
        return plan.maxBatch;
    }

    public int inputCount() {
        return inputSizes.length;
    }

    public int outputCount() {
        return outputSizes.length;
    }

    /** Values per sample of each input, in {@link Model#inputNames()} order. */
    public int inputSize(int input) {
        return inputSizes[input];
    }

    /** Values per sample of each output, in {@link Model#outputNames()} order. */
    public int outputSize(int output) {
        return outputSizes[output];
    }

    /**
     * Runs {@code n} samples: {@code inputs[i]} holds input i's first {@code n} samples row-major (at least
     * {@code n * inputSize(i)} values), and {@code outputs[o]} receives output o's (at least {@code n * outputSize(o)}).
     */
    public void predict(float @NonNull [] @NonNull [] inputs, int n, float @NonNull [] @NonNull [] outputs) {
        if (n < 1 || n > plan.maxBatch) {
            throw new ShapeException("predictor of model '" + model.name() + "': " + n + " samples, expected 1 to " + plan.maxBatch);
        }
        if (inputs.length != inputSizes.length || outputs.length != outputSizes.length) {
            throw new ShapeException("predictor of model '" + model.name() + "': " + inputs.length + " input and " + outputs.length
                    + " output arrays, the model has " + inputSizes.length + " and " + outputSizes.length);
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].length < n * inputSizes[i]) {
                throw new ShapeException("predictor of model '" + model.name() + "': input " + i + " holds " + inputs[i].length
                        + " values, " + n + " samples need " + n * inputSizes[i]);
            }
        }
        for (int o = 0; o < outputs.length; o++) {
            if (outputs[o].length < n * outputSizes[o]) {
                throw new ShapeException("predictor of model '" + model.name() + "': output " + o + " holds " + outputs[o].length
                        + " values, " + n + " samples need " + n * outputSizes[o]);
            }
        }
        if (inputs.length == 1) {
            plan.input.put(0, inputs[0], 0, n * inputSizes[0]);
        } else {
            // A plan's input row packs a sample's inputs one after another (Plan.unpack scatters them).
            int width = 0;
            for (int s : inputSizes) {
                width += s;
            }
            for (int r = 0; r < n; r++) {
                int off = r * width;
                for (int i = 0; i < inputs.length; i++) {
                    plan.input.put(off, inputs[i], r * inputSizes[i], inputSizes[i]);
                    off += inputSizes[i];
                }
            }
        }
        plan.forward(n, false, 0);
        for (int o = 0; o < outputs.length; o++) {
            plan.outputs[o].get(0, outputs[o], 0, n * outputSizes[o]);
        }
    }
}
