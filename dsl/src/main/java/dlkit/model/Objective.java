package dlkit.model;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.data.ArrayDataset;
import dlkit.data.Dataset;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What {@link Model#compile} set up to minimise and to measure: each output's loss, loss weight and metrics, and
 * where its labels sit in a packed label row. Training and evaluation both compute the loss and metrics here.
 */
final class Objective {
    /** One output's loss, its weight in the total, its metrics, and where its labels sit in a packed label row. */
    record Head(int output, String name, Loss loss, double weight, List<Metric> metrics, int width, int rowsPerSample,
                int labelWidth, int labelOffset) {}

    final List<Head> heads;
    /** The names metrics are logged under, in accumulator order ({@code accuracy}, or {@code class_accuracy} per output). */
    final List<String> metricNames;
    /** Label values per sample, all outputs' packed one after another. */
    final int labelWidth;

    private Objective(List<Head> heads) {
        this.heads = List.copyOf(heads);
        List<String> names = new ArrayList<>();
        for (Head h : heads) {
            for (Metric m : h.metrics()) {
                names.add(heads.size() == 1 ? m.name() : h.name() + "_" + m.name());
            }
        }
        this.metricNames = List.copyOf(names);
        Head last = heads.get(heads.size() - 1);
        this.labelWidth = last.labelOffset() + last.labelWidth();
    }

    /** Checks the per-output settings against the model's outputs and lays the labels out. */
    static Objective of(Model model, List<Loss> losses, List<Double> lossWeights, List<List<Metric>> metrics) {
        Graph graph = model.graph;
        int k = graph.outputs().length;
        if (losses.size() != k || lossWeights.size() != k || metrics.size() != k) {
            throw new DlkitException("model '" + model.name() + "' has " + k + " output(s) " + model.outputNames() + " but compile got "
                    + losses.size() + " loss(es), " + lossWeights.size() + " loss weight(s) and " + metrics.size() + " metric list(s)");
        }
        List<Head> hs = new ArrayList<>();
        int labelOffset = 0;
        for (int o = 0; o < k; o++) {
            Loss l = losses.get(o);
            Shape out = graph.tensorShapes().get(graph.outputs()[o]);
            String outName = graph.tensorName(graph.outputs()[o]);
            if (l.sparseLabels() && out.last() < 2) {
                throw new ShapeException(l.name() + " needs at least 2 outputs per sample (one per class), but "
                        + (k == 1 ? "the model outputs " : "output '" + outName + "' is ") + out.withBatch()
                        + "; use binary_crossentropy for a single sigmoid output");
            }
            double w = lossWeights.get(o);
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new DlkitException("loss weight for output '" + outName + "' must be finite and >= 0, got " + w);
            }
            int width = out.last();
            int rows = out.size() / width;
            int lw = l.labelWidth(width) * rows;
            hs.add(new Head(o, outName, l, w, List.copyOf(metrics.get(o)), width, rows, lw, labelOffset));
            labelOffset += lw;
        }
        return new Objective(hs);
    }

    List<Metric.Accumulator> newAccumulators() {
        List<Metric.Accumulator> accs = new ArrayList<>();
        for (Head h : heads) {
            for (Metric m : h.metrics()) {
                accs.add(m.newAccumulator(h.loss(), h.width()));
            }
        }
        return accs;
    }

    /** Output {@code h}'s labels for the first {@code n} samples: {@code y} itself, or unpacked from it. */
    private float[] labelsOf(Plan plan, int h, float[] y, int n) {
        if (heads.size() == 1) {
            return y;
        }
        Head head = heads.get(h);
        float[] dst = plan.headLabels[h];
        for (int r = 0; r < n; r++) {
            System.arraycopy(y, r * labelWidth + head.labelOffset(), dst, r * head.labelWidth(), head.labelWidth());
        }
        return dst;
    }

    /** Σ weightᵢ·lossᵢ over the outputs (each loss added to {@code perHead} when given); with {@code grad}, writes dL/d(output). */
    double loss(Plan plan, float[] y, int n, boolean grad, double @Nullable [] perHead) {
        double total = 0;
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
            float[] yh = labelsOf(plan, h, y, n);
            int rows = n * head.rowsPerSample();
            Buf g = grad ? plan.outputGrads[h] : null;
            double l = head.loss().compute(plan.outputs[h], yh, rows, head.width(), g, grad && plan.fusedOutputs[h]);
            if (g != null && head.weight() != 1) {
                scale(g, rows * head.width(), head.weight());
            }
            if (perHead != null) {
                perHead[h] += l;
            }
            total += head.weight() * l;
        }
        return total;
    }

    void updateMetrics(Plan plan, float[] y, int n, List<Metric.Accumulator> accs) {
        int a = 0;
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
            float[] yh = head.metrics().isEmpty() ? y : labelsOf(plan, h, y, n);
            for (int m = 0; m < head.metrics().size(); m++) {
                accs.get(a++).update(plan.outputs[h], yh, n * head.rowsPerSample(), head.width());
            }
        }
    }

    /**
     * Raises a clear error when {@code d} does not fit {@code model}: sample shape, labels per sample, and class
     * indices in range for sparse cross-entropy. {@code what} names the data in the message.
     */
    void checkData(Model model, Dataset d, String what) {
        Shape features = model.featureShape();
        if (model.inputShapes().size() > 1) {
            if (!d.featureShape().equals(features)) {
                throw new ShapeException(what + ": samples are shaped " + d.featureShape() + " but model '" + model.name() + "' takes "
                        + model.inputShapes().size() + " inputs " + model.inputShapes() + ", packed per sample as " + features
                        + " (build the data with ArrayDataset.ofInputs)");
            }
        } else if (!d.featureShape().equals(features)) {
            throw new ShapeException(what + ": samples are shaped " + d.featureShape() + " but model '" + model.name()
                    + "' expects " + features + " (its Input)"
                    + (d.featureShape().size() == features.size() ? "; reshape the data or add a Flatten/Reshape layer" : ""));
        }
        if (heads.size() > 1) {
            if (d.labelWidth() != labelWidth) {
                StringBuilder per = new StringBuilder();
                for (Head h : heads) {
                    per.append(per.length() == 0 ? "" : ", ").append(h.name()).append(": ").append(h.labelWidth());
                }
                throw new ShapeException(what + ": " + d.labelWidth() + " label value(s) per sample, but the outputs' losses need "
                        + labelWidth + " packed per sample (" + per + ")");
            }
            return;
        }
        Loss loss = heads.get(0).loss();
        Shape outputShape = model.outputShape();
        if (d.labelWidth() != labelWidth) {
            throw new ShapeException(what + ": " + d.labelWidth() + " label value(s) per sample, but " + loss.name()
                    + " on outputs shaped " + outputShape.withBatch() + " needs " + labelWidth
                    + (loss.sparseLabels() ? " (one class index per sample)" : ""));
        }
        if (loss.sparseLabels() && d instanceof ArrayDataset a && outputShape.rank() == 1) {
            a.checkClassLabels(outputShape.last(), loss.name());
        }
    }

    /** target[0, len) *= factor in double (a float32 gradient scaled by a loss weight rounds once), through a heap chunk. */
    private static void scale(Buf target, int len, double factor) {
        double[] a = STAGE.get();
        for (int done = 0; done < len; done += a.length) {
            int m = Math.min(a.length, len - done);
            target.get(done, a, 0, m);
            for (int j = 0; j < m; j++) {
                a[j] *= factor;
            }
            target.put(done, a, 0, m);
        }
    }

    private static final ThreadLocal<double[]> STAGE = ThreadLocal.withInitial(() -> new double[4096]);
}
