package dlkit.model;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.data.ArrayDataset;
import dlkit.data.Augmentation;
import dlkit.data.Dataset;
import dlkit.io.ModelArchive;
import dlkit.io.ModelConfig;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.loss.Loss;
import dlkit.metrics.ConfusionMatrix;
import dlkit.metrics.Metric;
import dlkit.optim.Optimizer;
import dlkit.optim.UpdateRule;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Native;
import dlkit.tensor.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model: layers with inferred shapes and named weights; {@link #compile} → {@link #fit} / {@link #evaluate} /
 * {@link #predict}; {@link #save} / {@link #load}. Shapes are checked when the model is built, so a layer that
 * does not fit fails here, naming both layers and shapes, not in the middle of training.
 */
public class Model {
    private static final Logger LOG = LoggerFactory.getLogger(Model.class);

    static {
        Native.init();
    }

    private final String name;
    private final List<Layer> layers;
    private final List<Shape> shapes;
    private final DType dtype;
    final Weights weights;
    private boolean initialized;
    private long seed;

    private @Nullable Optimizer optimizer;
    private @Nullable Loss loss;
    private List<Metric> metrics = List.of();
    private @Nullable UpdateRule rule;
    private float[] heapParams;
    private float[] heapGrads;
    private float[] optState;
    private long iterations;
    private double learningRate;
    private int[][] slotRanges;
    private final Map<Long, Plan> plans = new HashMap<>();
    /** Stateful layers' carried state (an RNN's h and c per sample slot), by layer and name; see {@link #resetStates}. */
    private final Map<String, double[]> states = new LinkedHashMap<>();

    protected Model(@NonNull String name, @NonNull List<? extends Layer> layerList, @NonNull DType dtype) {
        if (layerList.isEmpty() || !(layerList.get(0) instanceof Input)) {
            throw new ShapeException("a model starts with Input.of(...) to declare the sample shape; got "
                    + (layerList.isEmpty() ? "no layers" : layerList.get(0).type() + " first"));
        }
        if (layerList.size() < 2) {
            throw new ShapeException("a model needs at least one layer after its Input");
        }
        this.name = name;
        this.dtype = dtype;
        this.layers = List.copyOf(assignNames(layerList));
        List<Shape> s = new ArrayList<>();
        Shape cur = ((Input) layers.get(0)).shape();
        s.add(cur);
        for (int i = 1; i < layers.size(); i++) {
            Layer l = layers.get(i);
            try {
                cur = l.outputShape(cur);
            } catch (ShapeException e) {
                throw new ShapeException("layer '" + l.name() + "' (" + l.type() + ", layer " + i + ") cannot take the output of '"
                        + layers.get(i - 1).name() + "' (" + layers.get(i - 1).type() + ") shaped " + cur.withBatch() + ": " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new ShapeException("layer '" + l.name() + "' (" + l.type() + "): " + e.getMessage());
            }
            s.add(cur);
        }
        this.shapes = List.copyOf(s);
        this.weights = new Weights(layers, shapes, dtype);
    }

    /** Keras' naming: {@code dense}, {@code dense_1}, …; names the user gave are kept and must be unique. */
    private static List<Layer> assignNames(List<? extends Layer> in) {
        Set<String> used = new HashSet<>();
        for (Layer l : in) {
            if (l.name() != null && !used.add(l.name())) {
                throw new DlkitException("duplicate layer name \"" + l.name() + "\": layer names must be unique");
            }
        }
        Map<String, Integer> counters = new HashMap<>();
        List<Layer> out = new ArrayList<>();
        for (Layer l : in) {
            if (l.name() != null) {
                out.add(l);
                continue;
            }
            String base = l instanceof Input ? "input_layer" : snake(l.type());
            String candidate;
            do {
                int k = counters.merge(base, 1, Integer::sum) - 1;
                candidate = k == 0 ? base : base + "_" + k;
            } while (used.contains(candidate));
            used.add(candidate);
            out.add(l.named(candidate));
        }
        return out;
    }

    private static String snake(String type) {
        return type.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }

    // ---- structure ----

    public @NonNull String name() {
        return name;
    }

    /** The layers, the Input first, with their assigned names. */
    public @NonNull List<Layer> layers() {
        return layers;
    }

    public @NonNull Shape inputShape() {
        return shapes.get(0);
    }

    public @NonNull Shape outputShape() {
        return shapes.get(shapes.size() - 1);
    }

    /** The output shape of every layer (index 0 is the input). */
    public @NonNull List<Shape> outputShapes() {
        return shapes;
    }

    public @NonNull DType dtype() {
        return dtype;
    }

    /** All weights, trainable or not (Keras' "Total params"). */
    public long paramCount() {
        return weights.total;
    }

    /** The weights the optimizer updates (everything but moving statistics). */
    public long trainableParamCount() {
        return weights.count;
    }

    /** The Keras-style table: layer (type), output shape, parameters; totals. Also printed to standard output. */
    public @NonNull String summary() {
        String s = Summary.render(this);
        System.out.print(s);
        return s;
    }

    /** The same table as {@link #summary}, returned without printing (logs, notebooks, a custom print function). */
    public @NonNull String summaryText() {
        return Summary.render(this);
    }

    /** The weights of layer {@code layer} (index into {@link #layers()}), trainable or not. */
    public long paramCount(int layer) {
        return weights.slots.stream().filter(sl -> sl.layer() == layer).mapToLong(sl -> sl.spec().size()).sum();
    }

    // ---- weights ----

    /** Initialises every weight from {@code seed}: same seed, same weights, bit for bit. */
    public @NonNull Model initialize(long seed) {
        this.seed = seed;
        weights.initialize(seed);
        initialized = true;
        syncHeapFromNative();
        return this;
    }

    public boolean isInitialized() {
        return initialized;
    }

    private void ensureInitialized(@Nullable Long requested) {
        if (!initialized) {
            long s = requested != null ? requested : System.nanoTime();
            if (requested == null) {
                LOG.info("initialising weights with random seed {} (pass a seed for reproducible runs)", s);
            }
            initialize(s);
        } else if (requested != null) {
            setSeed(requested);
        }
    }

    /**
     * Zeroes what stateful layers carry from batch to batch (Keras' {@code reset_states}): the next batch starts
     * from zero state, as at the start of a new set of sequences.
     */
    public void resetStates() {
        states.values().forEach(v -> Arrays.fill(v, 0));
    }

    double[] persistentState(String key, int length) {
        double[] v = states.computeIfAbsent(key, k -> new double[length]);
        if (v.length < length) {
            throw new DlkitException("stateful layer state " + key + " holds " + v.length + " values, for the batch size it was first run with;"
                    + " this plan needs " + length + ": a stateful model runs with one batch size (pass the same batch size to fit, evaluate and predict)");
        }
        return v;
    }

    /** The stateful layers' state, for checkpoints. */
    Map<String, double[]> states() {
        return states;
    }

    /** The seed shuffling and dropout derive from (a resumed run takes its checkpoint's). */
    void setSeed(long seed) {
        if (seed != this.seed) {
            // Compiled plans hold per-layer seeds (dropout): a new seed needs new plans.
            plans.clear();
        }
        this.seed = seed;
    }

    long seedFor(int layer) {
        return seed * 0xD1B54A32D192ED03L + layer;
    }

    /** Copies of the weights by name ({@code dense.kernel}), shaped as the layers declare them. */
    public @NonNull Map<String, INDArray> getWeights() {
        return weights.toMap();
    }

    /** Replaces every weight; names and shapes must match the model exactly. */
    public void setWeights(@NonNull Map<String, INDArray> values) {
        weights.set(values, "setWeights");
        initialized = true;
        syncHeapFromNative();
    }

    void setWeights(Map<String, INDArray> values, String source) {
        weights.set(values, source);
        initialized = true;
        syncHeapFromNative();
    }

    private void syncHeapFromNative() {
        if (heapParams != null) {
            weights.paramBuf.get(0, heapParams, 0, weights.count);
        }
    }

    // ---- compile ----

    public @NonNull Model compile(@NonNull Optimizer optimizer, @NonNull Loss loss, @NonNull Metric... metrics) {
        return compile(optimizer, loss, List.of(metrics));
    }

    public @NonNull Model compile(@NonNull Optimizer optimizer, @NonNull Loss loss, @NonNull List<Metric> metrics) {
        if (loss.sparseLabels() && outputShape().last() < 2) {
            throw new ShapeException(loss.name() + " needs at least 2 outputs per sample (one per class), but the model outputs "
                    + outputShape().withBatch() + "; use binary_crossentropy for a single sigmoid output");
        }
        this.optimizer = optimizer;
        this.loss = loss;
        this.metrics = List.copyOf(metrics);
        this.rule = optimizer.rule();
        this.learningRate = optimizer.learningRate();
        this.iterations = 0;
        this.plans.clear();
        if (dtype == DType.FLOAT32) {
            heapParams = new float[weights.count];
            heapGrads = new float[weights.count];
            optState = new float[rule.stateSize(weights.count)];
            rule.initState(optState, weights.count);
            syncHeapFromNative();
        }
        slotRanges = weights.slots.stream().filter(s -> s.spec().trainable()).map(s -> new int[] {s.offset(), s.spec().size()}).toArray(int[][]::new);
        return this;
    }

    public boolean isCompiled() {
        return loss != null;
    }

    public @Nullable Optimizer optimizer() {
        return optimizer;
    }

    public @Nullable Loss loss() {
        return loss;
    }

    public @NonNull List<Metric> metrics() {
        return metrics;
    }

    public double learningRate() {
        return learningRate;
    }

    public void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        this.learningRate = lr;
    }

    /** Optimizer steps taken so far (the t of Adam's bias correction). */
    public long iterations() {
        return iterations;
    }

    /** The optimizer's moment buffers, laid out as ND4J's updater state views (e.g. Adam's [m | v]). */
    public float @Nullable [] optimizerState() {
        return optState;
    }

    /** Restores the optimizer's moments and step count (from an archive or checkpoint). */
    public void setOptimizerState(float @NonNull [] state, long iterations) {
        requireCompiled("setOptimizerState");
        if (state.length != optState.length) {
            throw new DlkitException("optimizer state has " + state.length + " values but " + optimizer.type()
                    + " over " + weights.count + " weights needs " + optState.length);
        }
        System.arraycopy(state, 0, optState, 0, state.length);
        this.iterations = iterations;
    }

    private void requireCompiled(String what) {
        if (loss == null) {
            throw new DlkitException(what + " needs a compiled model: call compile(optimizer, loss, metrics...) first");
        }
    }

    Plan plan(int maxBatch, boolean forTraining) {
        return plan(maxBatch, forTraining, false);
    }

    Plan plan(int maxBatch, boolean forTraining, boolean inputGradient) {
        boolean fused = forTraining && loss != null && loss.fusesWith(layers.get(layers.size() - 1).outputActivation());
        long key = ((long) maxBatch << 2) | (fused ? 1 : 0) | (inputGradient ? 2 : 0);
        return plans.computeIfAbsent(key, k -> new Plan(this, maxBatch, fused, inputGradient));
    }

    // ---- fit ----

    public @NonNull History fit(@NonNull Dataset data, @NonNull FitOptions options) {
        requireCompiled("fit");
        if (dtype != DType.FLOAT32) {
            throw new DlkitException("fit trains float32 models; this model is " + dtype.jsonName()
                    + " (float64 serves gradient checks and inference)");
        }
        ensureInitialized(options.seed());
        if (!options.augmentation().isNone()) {
            try {
                Augmentation.imageDims(inputShape());
            } catch (IllegalArgumentException e) {
                throw new DlkitException(e.getMessage());
            }
        }
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
        checkData(train, "training data");
        if (val != null) {
            checkData(val, "validation data");
        }
        int batch = options.batchSize();
        int outWidth = outputShape().last();
        int rowsPerSample = outputShape().size() / outWidth;
        int labelWidth = train.labelWidth();
        float[] y = new float[batch * labelWidth];
        List<Metric.Accumulator> accs = metrics.stream().map(m -> m.newAccumulator(loss, outWidth)).toList();
        long steps = train.size() < 0 ? -1 : (train.size() + batch - 1) / batch;
        History history = new History();
        // History last, so it records what other callbacks add to the epoch logs (learning_rate).
        List<Callback> callbacks = new ArrayList<>(options.callbacks());
        callbacks.add(history);
        TrainingState state = new TrainingState(this, options.epochs(), steps, batch, history, callbacks, accs, seed, options.initialEpoch());
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
        Plan plan = plan(batch, true);
        Map<String, Double> logs = new LinkedHashMap<>();
        while (state.epoch < options.epochs() && !state.stopRequested()) {
            int epoch = state.epoch;
            boolean midEpoch = state.batchesDone > 0;
            if (!midEpoch) {
                accs.forEach(Metric.Accumulator::reset);
                state.lossSum = 0;
                state.seen = 0;
            }
            for (Callback c : callbacks) {
                c.onEpochBegin(epoch, state);
            }
            Dataset.Cursor cursor = train.cursor(options.shuffle(), state.seed, epoch);
            for (long skip = state.batchesDone; skip > 0; skip--) {
                // Replays the epoch's order up to where the checkpoint stopped (cheap: copies, no compute).
                if (cursor.next(plan.input, y, batch) == 0) {
                    throw new DlkitException("the checkpoint stopped after batch " + state.batchesDone
                            + " of epoch " + (epoch + 1) + " but the training data has fewer batches");
                }
            }
            int n;
            while (!state.stopRequested() && (n = cursor.next(plan.input, y, batch)) > 0) {
                int b = (int) state.batchesDone;
                for (Callback c : callbacks) {
                    c.onBatchBegin(b, state);
                }
                if (!options.augmentation().isNone()) {
                    options.augmentation().apply(plan.input, n, inputShape(), state.seed, iterations);
                }
                double l = trainStep(plan, n, y, rowsPerSample, outWidth);
                for (Metric.Accumulator a : accs) {
                    a.update(plan.output, y, n * rowsPerSample, outWidth);
                }
                state.lossSum += l * n;
                state.seen += n;
                state.batchesDone++;
                logs.clear();
                logs.putAll(state.runningLogs());
                for (Callback c : callbacks) {
                    c.onBatchEnd(b, logs, state);
                }
                writeCheckpoints(state);
            }
            if (state.isInterrupted()) {
                break;
            }
            logs.clear();
            logs.putAll(state.runningLogs());
            if (val != null) {
                evaluateInto(val, batch, logs, "val_");
            }
            LOG.debug("epoch {}/{}: {}", epoch + 1, options.epochs(), logs);
            // From here on a checkpoint stands at the start of the next epoch.
            state.epoch = epoch + 1;
            state.batchesDone = 0;
            state.completed = state.finished();
            Map<String, Double> ordered = new LinkedHashMap<>(logs);
            for (Callback c : callbacks) {
                c.onEpochEnd(epoch, ordered, state);
            }
            state.completed = state.finished();
            writeCheckpoints(state);
        }
        for (Callback c : callbacks) {
            c.onTrainEnd(state);
        }
        writeCheckpoints(state);
        return history;
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

    private double trainStep(Plan plan, int n, float[] y, int rowsPerSample, int width) {
        long step = iterations;
        plan.forward(n, true, step);
        double l = loss.compute(plan.output, y, n * rowsPerSample, width, plan.outputGrad, plan.fused);
        plan.backward(n);
        l += plan.penalty();
        int count = weights.count;
        weights.gradBuf.get(0, heapGrads, 0, count);
        if (optimizer.clipping().active()) {
            optimizer.clipping().apply(heapGrads, count, slotRanges);
        }
        iterations++;
        rule.apply(heapParams, heapGrads, optState, count, iterations, (float) learningRate);
        weights.paramBuf.put(0, heapParams, 0, count);
        return l;
    }

    /** Mean wall time of one layer's forward and backward in a training step. */
    public record LayerTiming(@NonNull String layer, @NonNull String type, double forwardMs, double backwardMs) {}

    /**
     * Times every layer's forward and backward over {@code steps} training steps on the first batch of {@code data}
     * (after one warm-up step). Weights are not updated. For finding where a model spends its time.
     */
    public @NonNull List<LayerTiming> profileLayers(@NonNull Dataset data, int batchSize, int steps) {
        requireCompiled("profileLayers");
        ensureInitialized(null);
        checkData(data, "profiling data");
        Plan plan = plan(batchSize, true);
        int width = outputShape().last();
        int rowsPerSample = outputShape().size() / width;
        float[] y = new float[batchSize * data.labelWidth()];
        int n = data.cursor(false, 0, 0).next(plan.input, y, batchSize);
        int k = layers.size() - 1;
        long[] fwd = new long[k];
        long[] bwd = new long[k];
        Runnable lossStep = () -> loss.compute(plan.output, y, n * rowsPerSample, width, plan.outputGrad, plan.fused);
        plan.timedStep(n, 0, fwd, bwd, lossStep);
        java.util.Arrays.fill(fwd, 0);
        java.util.Arrays.fill(bwd, 0);
        for (int s = 0; s < steps; s++) {
            plan.timedStep(n, s, fwd, bwd, lossStep);
        }
        List<LayerTiming> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            Layer l = layers.get(i + 1);
            out.add(new LayerTiming(l.name(), l.type(), fwd[i] / 1e6 / steps, bwd[i] / 1e6 / steps));
        }
        return out;
    }

    /**
     * Raises a clear error when {@code d} does not fit this compiled model: sample shape, labels per sample, and class
     * indices in range for sparse cross-entropy. {@code what} names the data in the message.
     */
    public void checkData(@NonNull Dataset d, @NonNull String what) {
        requireCompiled("checkData");
        if (!d.featureShape().equals(inputShape())) {
            throw new ShapeException(what + ": samples are shaped " + d.featureShape() + " but model '" + name
                    + "' expects " + inputShape() + " (its Input)"
                    + (d.featureShape().size() == inputShape().size() ? "; reshape the data or add a Flatten/Reshape layer" : ""));
        }
        int expected = loss.labelWidth(outputShape().last()) * (outputShape().size() / outputShape().last());
        if (d.labelWidth() != expected) {
            throw new ShapeException(what + ": " + d.labelWidth() + " label value(s) per sample, but " + loss.name()
                    + " on outputs shaped " + outputShape().withBatch() + " needs " + expected
                    + (loss.sparseLabels() ? " (one class index per sample)" : ""));
        }
        if (loss.sparseLabels() && d instanceof ArrayDataset a && outputShape().rank() == 1) {
            a.checkClassLabels(outputShape().last(), loss.name());
        }
    }

    // ---- evaluate / predict ----

    /** Loss (with regularisation, as in Keras) and every compiled metric over the whole dataset. */
    public @NonNull Map<String, Double> evaluate(@NonNull Dataset data) {
        return evaluate(data, 256);
    }

    public @NonNull Map<String, Double> evaluate(@NonNull Dataset data, int batchSize) {
        requireCompiled("evaluate");
        ensureInitialized(null);
        checkData(data, "evaluation data");
        Map<String, Double> out = new LinkedHashMap<>();
        evaluateInto(data, batchSize, out, "");
        return out;
    }

    private void evaluateInto(Dataset data, int batch, Map<String, Double> logs, String prefix) {
        Plan plan = plan(batch, false);
        int outWidth = outputShape().last();
        int rowsPerSample = outputShape().size() / outWidth;
        float[] y = new float[batch * data.labelWidth()];
        List<Metric.Accumulator> accs = metrics.stream().map(m -> m.newAccumulator(loss, outWidth)).toList();
        double lossSum = 0;
        long seen = 0;
        Dataset.Cursor cursor = data.cursor(false, 0, 0);
        int n;
        while ((n = cursor.next(plan.input, y, batch)) > 0) {
            plan.forward(n, false, 0);
            lossSum += loss.compute(plan.output, y, n * rowsPerSample, outWidth, null, false) * n;
            for (Metric.Accumulator a : accs) {
                a.update(plan.output, y, n * rowsPerSample, outWidth);
            }
            seen += n;
        }
        if (seen == 0) {
            throw new DlkitException("cannot evaluate on an empty dataset");
        }
        logs.put(prefix + "loss", lossSum / seen + plan.penalty());
        for (int i = 0; i < accs.size(); i++) {
            logs.put(prefix + metrics.get(i).name(), accs.get(i).result());
        }
    }

    /** Class confusion counts of the predictions on {@code data} (argmax, or 0.5 for one sigmoid output). */
    public @NonNull ConfusionMatrix confusionMatrix(@NonNull Dataset data) {
        requireCompiled("confusionMatrix");
        checkData(data, "data");
        int width = outputShape().last();
        ConfusionMatrix cm = new ConfusionMatrix(width == 1 ? 2 : width);
        Metric.LabelKind lk = loss.sparseLabels() ? Metric.LabelKind.SPARSE : width == 1 ? Metric.LabelKind.BINARY : Metric.LabelKind.ONE_HOT;
        int batch = 256;
        Plan plan = plan(batch, false);
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

    /** Outputs for {@code x} shaped {@code [samples, ...input shape]}, in inference mode (no dropout). */
    public @NonNull INDArray predict(@NonNull INDArray x) {
        return predict(x, 256);
    }

    public @NonNull INDArray predict(@NonNull INDArray x, int batchSize) {
        ensureInitialized(null);
        long[] s = x.shape();
        long[] expected = new long[inputShape().rank() + 1];
        expected[0] = s.length > 0 ? s[0] : 0;
        for (int i = 0; i < inputShape().rank(); i++) {
            expected[i + 1] = inputShape().dim(i);
        }
        if (!Arrays.equals(s, expected)) {
            throw new ShapeException("predict: model '" + name + "' expects input shaped " + inputShape().withBatch()
                    + ", got " + Arrays.toString(s));
        }
        int n = (int) s[0];
        int in = inputShape().size();
        int out = outputShape().size();
        long[] outShape = new long[outputShape().rank() + 1];
        outShape[0] = n;
        for (int i = 0; i < outputShape().rank(); i++) {
            outShape[i + 1] = outputShape().dim(i);
        }
        Plan plan = plan(Math.max(1, Math.min(batchSize, n)), false);
        if (dtype == DType.FLOAT64) {
            double[] xs = x.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
            double[] result = new double[n * out];
            for (int start = 0; start < n; start += plan.maxBatch) {
                int m = Math.min(plan.maxBatch, n - start);
                plan.input.put(0, xs, start * in, m * in);
                plan.forward(m, false, 0);
                plan.output.get(0, result, start * out, m * out);
            }
            return Nd4j.create(result, outShape, 'c');
        }
        float[] xs = x.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
        float[] result = new float[n * out];
        for (int start = 0; start < n; start += plan.maxBatch) {
            int m = Math.min(plan.maxBatch, n - start);
            plan.input.put(0, xs, start * in, m * in);
            plan.forward(m, false, 0);
            plan.output.get(0, result, start * out, m * out);
        }
        return Nd4j.create(result, outShape, 'c');
    }

    /**
     * One forward and backward pass in inference mode over {@code x} (all samples in one batch): returns the loss
     * (with regularisation) and leaves the gradients readable through {@link #getGradients()}. For gradient checks
     * and custom training loops; weights are not changed.
     */
    public double computeGradients(@NonNull INDArray x, @NonNull INDArray y) {
        requireCompiled("computeGradients");
        ensureInitialized(null);
        int n = (int) x.size(0);
        if (x.length() != (long) n * inputShape().size()) {
            throw new ShapeException("computeGradients: expected input shaped " + inputShape().withBatch() + ", got " + Arrays.toString(x.shape()));
        }
        Plan plan = plan(n, true);
        double[] xs = x.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
        plan.input.put(0, xs, 0, xs.length);
        float[] ys = y.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
        int width = outputShape().last();
        int rows = n * (outputShape().size() / width);
        plan.forward(n, false, 0);
        double l = loss.compute(plan.output, ys, rows, width, plan.outputGrad, plan.fused);
        plan.backward(n);
        return l + plan.penalty();
    }

    /** The gradients of the last {@link #computeGradients} or training step, by (trainable) weight name. */
    public @NonNull Map<String, INDArray> getGradients() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (Weights.Slot s : weights.slots) {
            if (!s.spec().trainable()) {
                continue;
            }
            long[] shape = Arrays.stream(s.spec().shape()).asLongStream().toArray();
            m.put(s.key(), weights.grads.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s.offset(), s.offset() + s.spec().size())).dup().reshape('c', shape));
        }
        return m;
    }

    // ---- files ----

    /** One archive with the JSON config, safetensors weights and optimizer state; written to a temp file, then renamed. */
    public void save(@NonNull Path path) {
        ModelArchive.write(this, path);
    }

    public static @NonNull Model load(@NonNull Path path) {
        return ModelArchive.read(path);
    }

    /** The versioned JSON model config ({@code "format": "dlkit-model", "version": 1}). */
    public @NonNull String toJson() {
        return ModelConfig.toJson(this);
    }

    public static @NonNull Model fromJson(@NonNull String json) {
        return ModelConfig.fromJson(json, "model config");
    }

    /** The model's type in JSON. */
    public @NonNull String modelType() {
        return "Sequential";
    }

    // package-private hooks for Buf access in tests
    Buf gradientBuffer() {
        return weights.gradBuf;
    }

    Buf parameterBuffer() {
        return weights.paramBuf;
    }
}
