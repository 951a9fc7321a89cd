package dlkit.model;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.data.Dataset;
import dlkit.metrics.ConfusionMatrix;
import dlkit.metrics.Metric;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Inference: evaluation (loss and metrics over a data set), the confusion matrix, and predictions, batch by batch. */
final class Inference {
    private final Model model;

    Inference(Model model) {
        this.model = model;
    }

    Map<String, Double> evaluate(Dataset data, int batchSize) {
        model.requireCompiled("evaluate");
        model.ensureInitialized(null);
        model.checkData(data, "evaluation data");
        Map<String, Double> out = new LinkedHashMap<>();
        evaluateInto(data, batchSize, out, "");
        return out;
    }

    /** Loss (with regularisation, as in Keras), per-output losses and metrics over {@code data}, logged as {@code prefix + name}. */
    void evaluateInto(Dataset data, int batch, Map<String, Double> logs, String prefix) {
        Objective objective = model.objective();
        batch = Batches.planned(batch, data);
        Plan plan = model.plan(batch, false);
        float[] y = Batches.labels(batch, data.labelWidth());
        List<Metric.Accumulator> accs = objective.newAccumulators();
        int outputs = objective.heads.size();
        double lossSum = 0;
        double[] headSums = new double[outputs];
        double[] headBatch = new double[outputs];
        long seen = 0;
        Dataset.Cursor cursor = data.cursor(false, 0, 0);
        int n;
        while ((n = cursor.next(plan.input, y, batch)) > 0) {
            plan.forward(n, false, 0);
            Arrays.fill(headBatch, 0);
            lossSum += objective.loss(plan, y, n, false, headBatch) * n;
            for (int h = 0; h < outputs; h++) {
                headSums[h] += headBatch[h] * n;
            }
            objective.updateMetrics(plan, y, n, accs);
            seen += n;
        }
        if (seen == 0) {
            throw new DlkitException("cannot evaluate on an empty dataset");
        }
        logs.put(prefix + "loss", lossSum / seen + plan.penalty());
        if (outputs > 1) {
            for (int h = 0; h < outputs; h++) {
                logs.put(prefix + objective.heads.get(h).name() + "_loss", headSums[h] / seen);
            }
        }
        for (int i = 0; i < accs.size(); i++) {
            logs.put(prefix + objective.metricNames.get(i), accs.get(i).result());
        }
    }

    ConfusionMatrix confusionMatrix(Dataset data) {
        model.requireCompiled("confusionMatrix");
        model.checkData(data, "data");
        if (model.heads().size() != 1) {
            throw new DlkitException("confusionMatrix needs a single-output model; model '" + model.name() + "' has outputs " + model.outputNames());
        }
        int width = model.outputShape().last();
        ConfusionMatrix cm = new ConfusionMatrix(width == 1 ? 2 : width);
        Metric.LabelKind lk = model.loss().sparseLabels() ? Metric.LabelKind.SPARSE : width == 1 ? Metric.LabelKind.BINARY : Metric.LabelKind.ONE_HOT;
        int batch = 256;
        Plan plan = model.plan(batch, false);
        float[] y = new float[batch * data.labelWidth()];
        Dataset.Cursor cursor = data.cursor(false, 0, 0);
        int n;
        while ((n = cursor.next(plan.input, y, batch)) > 0) {
            plan.forward(n, false, 0);
            for (int r = 0; r < n; r++) {
                cm.add(Metric.trueClass(y, r, width, lk), Metric.predictedClass(plan.output, r * width, width, lk));
            }
        }
        return cm;
    }

    /** The only output for the only input, checked to be shaped {@code [samples, ...input shape]}. */
    INDArray predict(INDArray x, int batchSize) {
        Shape in = model.inputShape();
        long[] expected = new long[in.rank() + 1];
        expected[0] = x.rank() > 0 ? x.size(0) : 0;
        for (int i = 0; i < in.rank(); i++) {
            expected[i + 1] = in.dim(i);
        }
        if (!Arrays.equals(x.shape(), expected)) {
            throw new ShapeException("predict: model '" + model.name() + "' expects input shaped " + in.withBatch() + ", got " + Arrays.toString(x.shape()));
        }
        model.outputShape(); // the one-output form: a model with several needs predict(List)
        return predict(List.of(x), batchSize).get(0);
    }

    /** Every output for inputs {@code xs}, in inference mode, in the model's dtype. */
    List<INDArray> predict(List<INDArray> xs, int batchSize) {
        model.ensureInitialized(null);
        List<Buf> inputs = Batches.inputs(model, xs, "predict");
        int n = (int) xs.get(0).size(0);
        Plan plan = model.plan(Math.max(1, Math.min(batchSize, n)), false);
        List<Shape> outShapes = model.outputShapes();
        List<INDArray> out = new ArrayList<>();
        List<Buf> results = new ArrayList<>();
        for (Shape s : outShapes) {
            long[] shape = new long[s.rank() + 1];
            shape[0] = n;
            for (int i = 0; i < s.rank(); i++) {
                shape[i + 1] = s.dim(i);
            }
            INDArray a = Nd4j.create(model.dtype().nd4j(), shape, 'c');
            out.add(a);
            if (n > 0) {
                results.add(Buf.wrap(a, 0, (int) a.length()));
            }
        }
        for (int start = 0; start < n; start += plan.maxBatch) {
            int m = Math.min(plan.maxBatch, n - start);
            Batches.writeInputs(model, plan, inputs, start, m);
            plan.forward(m, false, 0);
            for (int o = 0; o < results.size(); o++) {
                int size = outShapes.get(o).size();
                results.get(o).copyFrom(plan.outputs[o], 0, start * size, m * size);
            }
        }
        return out;
    }
}
