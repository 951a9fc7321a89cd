package dlkit.model;

import dlkit.ResourceException;
import dlkit.ShapeException;
import dlkit.data.Dataset;
import dlkit.tensor.Buf;
import dlkit.tensor.Memory;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Arrays from the caller laid into a plan's buffers: inputs as the model's dtype (a plan's input row holds every
 * input of a sample, one after another), labels packed per sample in output order as the losses read them.
 */
final class Batches {
    private Batches() {}

    /**
     * The batch a plan is built for: {@code batch}, but no more than the data holds (a batch_size above the sample
     * count trains on all of them at once, as in Keras, without buffers for samples that never come).
     */
    static int planned(int batch, Dataset data) {
        long n = data.size();
        return n >= 0 ? (int) Math.max(1, Math.min(batch, n)) : batch;
    }

    /** A label buffer for {@code batch} samples of {@code width} values, or an error when that overflows an array. */
    static float[] labels(int batch, int width) {
        long n = (long) batch * width;
        if (n > Integer.MAX_VALUE - 8) {
            throw new ResourceException("a batch of " + batch + " samples with " + width + " label values each is more than an array holds; use a smaller batch_size");
        }
        Memory.requireHeap(n * Float.BYTES, "the labels of a batch of " + batch);
        return new float[(int) n];
    }

    /** Each input as a buffer of the model's dtype (copied only if it is not one already), its shape checked. */
    static List<Buf> inputs(Model model, List<INDArray> xs, String what) {
        List<Shape> in = model.inputShapes();
        if (xs.size() != in.size()) {
            throw new ShapeException(what + ": model '" + model.name() + "' takes " + in.size() + " input(s) " + model.inputNames() + ", got "
                    + xs.size() + " array(s)");
        }
        long n = xs.get(0).size(0);
        List<Buf> out = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            INDArray x = xs.get(i);
            int size = in.get(i).size();
            if (x.size(0) != n || x.length() != n * size) {
                throw new ShapeException(what + ": input '" + model.inputNames().get(i) + "' expects " + in.get(i).withBatch() + " for " + n
                        + " samples, got " + Arrays.toString(x.shape()));
            }
            if (n > 0) {
                INDArray c = x.castTo(model.dtype().nd4j()).dup('c');
                out.add(Buf.wrap(c, 0, (int) c.length()));
            }
        }
        return out;
    }

    /** Samples {@code [start, start + m)} of {@code inputs} into the plan's input rows. */
    static void writeInputs(Model model, Plan plan, List<Buf> inputs, int start, int m) {
        List<Shape> shapes = model.inputShapes();
        if (inputs.size() == 1) {
            int size = shapes.get(0).size();
            plan.input.copyFrom(inputs.get(0), start * size, 0, m * size);
            return;
        }
        int width = shapes.stream().mapToInt(Shape::size).sum();
        for (int r = 0; r < m; r++) {
            int off = r * width;
            for (int i = 0; i < inputs.size(); i++) {
                int size = shapes.get(i).size();
                plan.input.copyFrom(inputs.get(i), (start + r) * size, off, size);
                off += size;
            }
        }
    }

    /** Labels packed per sample in output order, each output's as its loss reads them. */
    static float[] packLabels(Model model, List<INDArray> ys, int n) {
        List<Objective.Head> heads = model.heads();
        if (ys.size() != heads.size()) {
            throw new ShapeException("model '" + model.name() + "' has " + heads.size() + " output(s) " + model.outputNames() + ", got "
                    + ys.size() + " label array(s)");
        }
        int total = model.objective().labelWidth;
        float[] packed = new float[n * total];
        for (int h = 0; h < heads.size(); h++) {
            Objective.Head head = heads.get(h);
            float[] v = ys.get(h).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
            if (v.length != n * head.labelWidth()) {
                throw new ShapeException("labels for output '" + head.name() + "': expected " + head.labelWidth() + " value(s) per sample for "
                        + n + " samples (" + head.loss().name() + "), got " + Arrays.toString(ys.get(h).shape()));
            }
            for (int r = 0; r < n; r++) {
                System.arraycopy(v, r * head.labelWidth(), packed, r * total + head.labelOffset(), head.labelWidth());
            }
        }
        return packed;
    }
}
