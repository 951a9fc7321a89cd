package dlkit.model;

import dlkit.DlkitException;
import dlkit.data.ArrayDataset;
import dlkit.data.Augmentation;
import dlkit.data.Dataset;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.metrics.Metric;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Training: {@link Model#fit}'s epochs and batches with their callbacks and checkpoints, and one step — forward, the
 * loss and its gradient at the outputs, backward, the optimizer's update — plus the per-layer profile of a step.
 */
final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final Model model;

    Trainer(Model model) {
        this.model = model;
    }

    /** The training and validation data a fit uses, checked against the model. */
    private record Split(Dataset train, Dataset validation) {}

    History fit(Dataset data, FitOptions options) {
        model.requireCompiled("fit");
        if (model.dtype() != DType.FLOAT32) {
            throw new DlkitException("fit trains float32 models; this model is " + model.dtype().jsonName()
                    + " (float64 serves gradient checks and inference)");
        }
        model.ensureInitialized(options.seed());
        checkAugmentation(options.augmentation());
        Split split = split(data, options);
        int batch = Batches.planned(options.batchSize(), split.train());
        List<Metric.Accumulator> accs = model.objective().newAccumulators();
        long steps = split.train().size() < 0 ? -1 : (split.train().size() + batch - 1) / batch;
        History history = new History();
        // History last, so it records what other callbacks add to the epoch logs (learning_rate).
        List<Callback> callbacks = new ArrayList<>(options.callbacks());
        callbacks.add(history);
        TrainingState state = new TrainingState(model, options.epochs(), steps, batch, history, callbacks, accs, model.execution.seed(),
                options.initialEpoch());
        state.fingerprint = options.fingerprint();
        for (Callback c : callbacks) {
            c.onTrainBegin(state);
        }
        if (state.resumeRequest != null) {
            Checkpoint.restore(state.resumeRequest, state);
            LOG.info("resumed from {} at epoch {}, batch {}", state.resumeRequest, state.epoch + 1, state.batchesDone);
        }
        if (state.completed) {
            state.epoch = Math.max(state.epoch, options.epochs());
        }
        // Planned after any resume: layers fix their dropout seeds when compiled.
        Plan plan = model.plan(batch, true);
        float[] y = Batches.labels(batch, split.train().labelWidth());
        if (options.gradientExchange() != null) {
            model.optimization().begin(model.weights, options.gradientExchange());
        }
        while (state.epoch < options.epochs() && !state.stopRequested()) {
            runEpoch(state, plan, y, split, options);
        }
        if (options.gradientExchange() != null && !state.isInterrupted()) {
            model.optimization().finish(model.weights, options.gradientExchange());
        }
        for (Callback c : callbacks) {
            c.onTrainEnd(state);
        }
        writeCheckpoints(state);
        return history;
    }

    private void checkAugmentation(Augmentation augmentation) {
        if (augmentation.isNone()) {
            return;
        }
        if (model.inputShapes().size() != 1) {
            throw new DlkitException("data augmentation works on image inputs of single-input models; model '" + model.name() + "' has "
                    + model.inputShapes().size() + " inputs");
        }
        try {
            Augmentation.imageDims(model.inputShape());
        } catch (IllegalArgumentException e) {
            throw new DlkitException(e.getMessage());
        }
    }

    private Split split(Dataset data, FitOptions options) {
        Dataset train = data;
        Dataset val = options.validationData();
        if (options.validationSplit() > 0) {
            if (!(data instanceof ArrayDataset a)) {
                throw new DlkitException("validation_split needs an in-memory dataset; pass validation data for a streaming one");
            }
            ArrayDataset[] parts = a.splitTail(options.validationSplit());
            train = parts[0];
            val = parts[1];
        }
        model.checkData(train, "training data");
        if (val != null) {
            model.checkData(val, "validation data");
        }
        return new Split(train, val);
    }

    /** One epoch (or the rest of one a checkpoint stopped in): its batches, then validation and the epoch's end. */
    private void runEpoch(TrainingState state, Plan plan, float[] y, Split split, FitOptions options) {
        int epoch = state.epoch;
        int batch = plan.maxBatch;
        if (state.batchesDone == 0) {
            state.accumulators.forEach(Metric.Accumulator::reset);
            state.lossSum = 0;
            state.seen = 0;
        }
        for (Callback c : state.callbacks) {
            c.onEpochBegin(epoch, state);
        }
        Dataset.Cursor cursor = split.train().cursor(options.shuffle(), state.seed, epoch);
        for (long skip = state.batchesDone; skip > 0; skip--) {
            // Replays the epoch's order up to where the checkpoint stopped (cheap: copies, no compute).
            if (cursor.next(plan.input, y, batch) == 0) {
                throw new DlkitException("the checkpoint stopped after batch " + state.batchesDone
                        + " of epoch " + (epoch + 1) + " but the training data has fewer batches");
            }
        }
        Map<String, Double> logs = new LinkedHashMap<>();
        int n;
        while (!state.stopRequested() && (n = cursor.next(plan.input, y, batch)) > 0) {
            int b = (int) state.batchesDone;
            for (Callback c : state.callbacks) {
                c.onBatchBegin(b, state);
            }
            if (!options.augmentation().isNone()) {
                options.augmentation().apply(plan.input, n, model.inputShape(), state.seed, model.optimization().iterations);
            }
            double l = step(plan, n, y, options.gradientExchange());
            model.objective().updateMetrics(plan, y, n, state.accumulators);
            state.lossSum += l * n;
            state.seen += n;
            state.batchesDone++;
            logs.clear();
            logs.putAll(state.runningLogs());
            for (Callback c : state.callbacks) {
                c.onBatchEnd(b, logs, state);
            }
            writeCheckpoints(state);
        }
        if (state.isInterrupted()) {
            return;
        }
        logs.clear();
        logs.putAll(state.runningLogs());
        if (split.validation() != null) {
            new Inference(model).evaluateInto(split.validation(), batch, logs, "val_");
        }
        LOG.debug("epoch {}/{}: {}", epoch + 1, options.epochs(), logs);
        // From here on a checkpoint stands at the start of the next epoch.
        state.epoch = epoch + 1;
        state.batchesDone = 0;
        state.completed = state.finished();
        Map<String, Double> ordered = new LinkedHashMap<>(logs);
        for (Callback c : state.callbacks) {
            c.onEpochEnd(epoch, ordered, state);
        }
        state.completed = state.finished();
        writeCheckpoints(state);
    }

    private static void writeCheckpoints(TrainingState state) {
        if (!Double.isFinite(state.lossSum) && !state.checkpointRequests.isEmpty()) {
            // Keep the last good checkpoint rather than overwrite it with diverged weights.
            LOG.warn("loss is not finite: not writing checkpoint(s) {}", state.checkpointRequests);
            state.checkpointRequests.clear();
            return;
        }
        for (Path p : state.checkpointRequests) {
            Checkpoint.write(p, state);
        }
        state.checkpointRequests.clear();
    }

    /** One training step on the batch in {@code plan.input}: returns its loss (with the weights' penalties). */
    private double step(Plan plan, int n, float[] y, @Nullable GradientExchange exchange) {
        OptimizerState opt = model.optimization();
        plan.forward(n, true, opt.iterations);
        double l = model.objective().loss(plan, y, n, true, null);
        plan.backward(n);
        l += plan.penalty();
        opt.step(model.weights, n, exchange);
        return l;
    }

    /** See {@link Model#computeGradients(List, List)}: one forward and backward in inference mode, weights unchanged. */
    double computeGradients(List<INDArray> xs, List<INDArray> ys) {
        model.requireCompiled("computeGradients");
        model.ensureInitialized(null);
        int n = (int) xs.get(0).size(0);
        List<Buf> inputs = Batches.inputs(model, xs, "computeGradients");
        float[] labels = Batches.packLabels(model, ys, n);
        Plan plan = model.plan(n, true);
        Batches.writeInputs(model, plan, inputs, 0, n);
        plan.forward(n, false, 0);
        double l = model.objective().loss(plan, labels, n, true, null);
        plan.backward(n);
        return l + plan.penalty();
    }

    /** See {@link Model#profileLayers}. */
    List<Model.LayerTiming> profileLayers(Dataset data, int batchSize, int steps) {
        model.requireCompiled("profileLayers");
        model.ensureInitialized(null);
        model.checkData(data, "profiling data");
        Plan plan = model.plan(batchSize, true);
        float[] y = new float[batchSize * data.labelWidth()];
        int n = data.cursor(false, 0, 0).next(plan.input, y, batchSize);
        List<Layer> layers = model.layers();
        long[] fwd = new long[layers.size()];
        long[] bwd = new long[layers.size()];
        Runnable lossStep = () -> model.objective().loss(plan, y, n, true, null);
        plan.timedStep(n, 0, fwd, bwd, lossStep);
        Arrays.fill(fwd, 0);
        Arrays.fill(bwd, 0);
        for (int s = 0; s < steps; s++) {
            plan.timedStep(n, s, fwd, bwd, lossStep);
        }
        long[] flops = new long[layers.size()];
        List<dlkit.tensor.Shape> shapes = model.graph.tensorShapes();
        for (Graph.Node node : model.graph.nodes()) {
            if (node.in().length > 0) {
                flops[node.layer()] += n * layers.get(node.layer()).forwardFlops(shapes.get(node.in()[0]));
            }
        }
        List<Model.LayerTiming> out = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            if (!(l instanceof Input)) {
                out.add(new Model.LayerTiming(l.name(), l.type(), fwd[i] / 1e6 / steps, bwd[i] / 1e6 / steps, flops[i]));
            }
        }
        return out;
    }
}
