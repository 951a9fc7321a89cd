package dlkit.model;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.data.Dataset;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.SymbolicTensor;
import dlkit.loss.Loss;
import dlkit.metrics.ConfusionMatrix;
import dlkit.metrics.Metric;
import dlkit.optim.Optimizer;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Native;
import dlkit.tensor.Shape;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model: layers with inferred shapes and named weights; {@link #compile} → {@link #fit} / {@link #evaluate} /
 * {@link #predict}; {@link #save} / {@link #load}. Shapes are checked when the model is built, so a layer that
 * does not fit fails here, naming both layers and shapes, not in the middle of training.
 *
 * <p>The model holds what it is — its graph, weights, config and what {@link #compile} chose; training runs in
 * {@link Trainer}, inference in {@link Inference}, both on {@link Plan}s; files are {@link ModelFormat}s.
 */
public class Model {
    private static final Logger LOG = LoggerFactory.getLogger(Model.class);

    static {
        Native.init();
    }

    private final String name;
    private final List<Layer> layers;
    private final List<Shape> shapes;
    final Graph graph;
    private final boolean functional;
    private final DType dtype;
    /** Names of the layers whose weights are not trained (Keras' trainable=False). */
    private final Set<String> frozen;
    final Weights weights;
    private boolean initialized;
    private @Nullable Objective objective;
    private @Nullable OptimizerState optimizerState;
    /** The seed, the compiled plans and stateful layers' state. */
    final Execution execution = new Execution();

    protected Model(@NonNull String name, @NonNull List<? extends Layer> layerList, @NonNull DType dtype) {
        this(name, layerList, dtype, Set.of());
    }

    Model(String name, List<? extends Layer> layerList, DType dtype, Set<String> frozen) {
        this(name, Graph.chain(Graph.named(layerList)), dtype, false, frozen);
    }

    /** A functional model over {@code graph} (see {@link #of(List, List)}). */
    Model(@NonNull String name, Graph graph, @NonNull DType dtype) {
        this(name, graph, dtype, Set.of());
    }

    Model(String name, Graph graph, DType dtype, Set<String> frozen) {
        this(name, graph.named(), dtype, true, frozen);
    }

    private Model(String name, Graph graph, DType dtype, boolean functional, Set<String> frozen) {
        this.name = name;
        this.dtype = dtype;
        this.graph = graph;
        this.layers = graph.layers();
        this.shapes = graph.layerOutputShapes();
        this.functional = functional;
        this.frozen = Set.copyOf(frozen);
        boolean[] frozenFlags = new boolean[layers.size()];
        Set<String> unknown = new java.util.TreeSet<>(frozen);
        for (int i = 0; i < layers.size(); i++) {
            frozenFlags[i] = frozen.contains(layers.get(i).name());
            unknown.remove(layers.get(i).name());
        }
        if (!unknown.isEmpty()) {
            throw new DlkitException("model '" + name + "' has no layer " + unknown + " to freeze; its layers are "
                    + layers.stream().map(Layer::name).toList());
        }
        this.weights = new Weights(layers, graph.layerInputShapes(), dtype, frozenFlags);
    }

    /**
     * A functional model (Keras' {@code keras.Model(inputs, outputs)}): the layers called between the {@link Input}s
     * and the output tensors, with shared layers, merges and several inputs and outputs.
     */
    public static @NonNull Model of(@NonNull List<? extends SymbolicTensor> inputs, @NonNull List<? extends SymbolicTensor> outputs) {
        return new Model("functional", Graph.of(inputs, outputs), DType.FLOAT32);
    }

    /** A functional model with one input and one output. */
    public static @NonNull Model of(@NonNull SymbolicTensor input, @NonNull SymbolicTensor output) {
        return of(List.of(input), List.of(output));
    }

    /** The same architecture in another precision (weights are not copied). */
    public @NonNull Model withDType(@NonNull DType dtype) {
        return copy(name, dtype, frozen);
    }

    /** The same architecture under another name (weights are not copied). */
    public @NonNull Model named(@NonNull String name) {
        return copy(name, dtype, frozen);
    }

    /** This architecture (same type, Sequential or Functional) with another name, precision or frozen set. */
    Model copy(String name, DType dtype, Set<String> frozen) {
        return new Model(name, graph, dtype, frozen);
    }

    /**
     * A copy of this model (with its weights, not compiled) whose named layers are frozen — Keras' {@code
     * layer.trainable = False}: their weights stay as they are in training (gradients still flow through them to the
     * layers below), their weight penalties leave the loss, and a frozen BatchNormalization normalises with its moving
     * statistics in training as well. Compile the copy to train it, e.g. a new head on a pretrained, frozen base.
     */
    public @NonNull Model freeze(@NonNull String @NonNull ... layerNames) {
        Set<String> f = new java.util.LinkedHashSet<>(frozen);
        f.addAll(List.of(layerNames));
        return withFrozen(f);
    }

    /** A copy of this model (with its weights, not compiled) whose named layers train again. */
    public @NonNull Model unfreeze(@NonNull String @NonNull ... layerNames) {
        Set<String> f = new java.util.LinkedHashSet<>(frozen);
        for (String n : layerNames) {
            getLayer(n);
            f.remove(n);
        }
        return withFrozen(f);
    }

    private Model withFrozen(Set<String> f) {
        Model m = copy(name, dtype, f);
        if (initialized) {
            m.setWeights(getWeights(), "freeze");
            m.execution.setSeed(execution.seed());
        }
        return m;
    }

    /** The names of the frozen layers (see {@link #freeze}), in model order. */
    public @NonNull List<String> frozenLayers() {
        return layers.stream().map(Layer::name).filter(frozen::contains).toList();
    }

    /** Whether layer {@code i} is frozen. */
    boolean isFrozen(int layer) {
        return weights.frozen[layer];
    }

    /**
     * The part of this model between tensors {@code inputs} and {@code outputs} (tensor names: a layer's name, or
     * {@code name:k} for its k-th call) as a model of its own, with a copy of the current weights: after training an
     * autoencoder, {@code subModel(List.of("input_layer"), List.of("code"))} is its encoder and
     * {@code subModel(List.of("code"), List.of("reconstruction"))} its decoder. A tensor that is not one of this model's
     * inputs becomes a new Input named {@code <tensor>_input}.
     */
    public @NonNull Model subModel(@NonNull List<String> inputs, @NonNull List<String> outputs) {
        Graph g = graph.sub(inputs, outputs, name);
        Set<String> keep = new java.util.HashSet<>(frozen);
        keep.retainAll(g.layers().stream().map(Layer::name).toList());
        Model sub = new Model(name + "_sub", g, dtype, keep);
        if (initialized) {
            sub.setWeightsFrom(this);
        }
        return sub;
    }

    /** {@link #subModel(List, List)} with one input and one output. */
    public @NonNull Model subModel(@NonNull String input, @NonNull String output) {
        return subModel(List.of(input), List.of(output));
    }

    /**
     * Uses this model as a layer of another (a nested model): its calls are replayed on {@code inputs} with the same
     * layer objects, so every use shares this model's layers — apply it to two inputs for a siamese network. The
     * outer model holds the weights under the same names, so {@link #setWeightsFrom} brings them back here after
     * training. Layer names must not clash with the outer model's (name the layers of models you nest).
     */
    public @NonNull List<SymbolicTensor> call(@NonNull List<? extends SymbolicTensor> inputs) {
        return graph.call(inputs, name);
    }

    /** {@link #call} for a model with one output. */
    public @NonNull SymbolicTensor apply(@NonNull SymbolicTensor @NonNull ... inputs) {
        List<SymbolicTensor> out = call(List.of(inputs));
        if (out.size() != 1) {
            throw new ShapeException("model '" + name + "' has " + out.size() + " outputs; use call(inputs) for all of them");
        }
        return out.get(0);
    }

    /** As {@link #apply}, so Kotlin can call a model like a function: {@code encoder(x)}. */
    public @NonNull SymbolicTensor invoke(@NonNull SymbolicTensor @NonNull ... inputs) {
        return apply(inputs);
    }

    // ---- structure ----

    public @NonNull String name() {
        return name;
    }

    /** The layers, the Input first, with their assigned names. */
    public @NonNull List<Layer> layers() {
        return layers;
    }

    /** The sample shape of the model's only input (see {@link #inputShapes()} for models with several). */
    public @NonNull Shape inputShape() {
        if (graph.inputs().length != 1) {
            throw new DlkitException("model '" + name + "' has " + graph.inputs().length + " inputs " + inputNames() + "; use inputShapes()");
        }
        return graph.tensorShapes().get(graph.inputs()[0]);
    }

    /** The sample shape of the model's only output (see {@link #outputShapes()} for models with several). */
    public @NonNull Shape outputShape() {
        if (graph.outputs().length != 1) {
            throw new DlkitException("model '" + name + "' has " + graph.outputs().length + " outputs " + outputNames() + "; use outputShapes()");
        }
        return graph.tensorShapes().get(graph.outputs()[0]);
    }

    /** The sample shape of each input, in order. */
    public @NonNull List<Shape> inputShapes() {
        return Arrays.stream(graph.inputs()).mapToObj(t -> graph.tensorShapes().get(t)).toList();
    }

    /** The sample shape of each output, in order. */
    public @NonNull List<Shape> outputShapes() {
        return Arrays.stream(graph.outputs()).mapToObj(t -> graph.tensorShapes().get(t)).toList();
    }

    /** The inputs' names (their Input layers'). */
    public @NonNull List<String> inputNames() {
        return Arrays.stream(graph.inputs()).mapToObj(graph::tensorName).toList();
    }

    /** The outputs' names: the layer that produces each ({@code dense:1} for a shared layer's second call). */
    public @NonNull List<String> outputNames() {
        return Arrays.stream(graph.outputs()).mapToObj(graph::tensorName).toList();
    }

    /** The output shape of every layer, in {@link #layers()} order (a shared layer's first call). */
    public @NonNull List<Shape> layerOutputShapes() {
        return shapes;
    }

    /** True for a model built with {@link #of(List, List)} (a graph), false for a Sequential stack. */
    public boolean isFunctional() {
        return functional;
    }

    /** The model's type in JSON. */
    public @NonNull String modelType() {
        return functional ? "Functional" : "Sequential";
    }

    /** The layer named {@code name}. */
    public @NonNull Layer getLayer(@NonNull String name) {
        return layers.stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow(() -> new DlkitException("model '" + this.name
                + "' has no layer named \"" + name + "\"; its layers are " + layers.stream().map(Layer::name).toList()));
    }

    /**
     * The inputs of each call of layer {@code layer} (index into {@link #layers()}), by tensor name ({@code dense},
     * {@code dense:1} for a shared layer's second call): one list per call, in the order the calls run.
     */
    public @NonNull List<List<String>> callInputs(int layer) {
        return graph.callInputs(layer);
    }

    /** Samples as a dataset holds them: the only input's shape, or all inputs flattened and packed one after another. */
    @NonNull Shape featureShape() {
        return graph.inputs().length == 1 ? inputShape() : Shape.of(inputShapes().stream().mapToInt(Shape::size).sum());
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

    /** The weights of layer {@code layer} (index into {@link #layers()}), trainable or not. */
    public long paramCount(int layer) {
        return weights.slots.stream().filter(sl -> sl.layer() == layer).mapToLong(sl -> sl.spec().size()).sum();
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

    // ---- weights and state ----

    /** Initialises every weight from {@code seed}: same seed, same weights, bit for bit. */
    public @NonNull Model initialize(long seed) {
        execution.setSeed(seed);
        weights.initialize(seed);
        weightsChanged();
        return this;
    }

    public boolean isInitialized() {
        return initialized;
    }

    void ensureInitialized(@Nullable Long requested) {
        if (!initialized) {
            long s = requested != null ? requested : System.nanoTime();
            if (requested == null) {
                LOG.info("initialising weights with random seed {} (pass a seed for reproducible runs)", s);
            }
            initialize(s);
        } else if (requested != null) {
            execution.setSeed(requested);
        }
    }

    /** Copies of the weights by name ({@code dense.kernel}), shaped as the layers declare them. */
    public @NonNull Map<String, INDArray> getWeights() {
        return weights.toMap();
    }

    /** Replaces every weight; names and shapes must match the model exactly. */
    public void setWeights(@NonNull Map<String, INDArray> values) {
        setWeights(values, "setWeights");
    }

    void setWeights(Map<String, INDArray> values, String source) {
        weights.set(values, source);
        weightsChanged();
    }

    private void weightsChanged() {
        initialized = true;
        if (optimizerState != null) {
            optimizerState.pullWeights(weights);
        }
    }

    /**
     * Copies from {@code source} every weight this model has under the same name (a nested model's weights out of
     * the model it was trained in, or the reverse). At least one must match.
     */
    public void setWeightsFrom(@NonNull Model source) {
        Map<String, INDArray> src = source.getWeights();
        Map<String, INDArray> dst = weights.toMap();
        if (!dst.isEmpty() && dst.keySet().stream().noneMatch(src::containsKey)) {
            throw new DlkitException("setWeightsFrom: model '" + source.name() + "' has none of the weights of model '" + name + "' " + dst.keySet());
        }
        dst.replaceAll((k, v) -> src.getOrDefault(k, v));
        setWeights(dst, "setWeightsFrom(" + source.name() + ")");
    }

    /** The gradients of the last {@link #computeGradients} or training step, by (trainable) weight name. */
    public @NonNull Map<String, INDArray> getGradients() {
        return weights.gradientMap();
    }

    /**
     * Zeroes what stateful layers carry from batch to batch (Keras' {@code reset_states}): the next batch starts
     * from zero state, as at the start of a new set of sequences.
     */
    public void resetStates() {
        execution.resetStates();
    }

    // ---- compile ----

    public @NonNull Model compile(@NonNull Optimizer optimizer, @NonNull Loss loss, @NonNull Metric... metrics) {
        return compile(optimizer, loss, List.of(metrics));
    }

    /** One loss and one metric list for every output (for a model with several outputs, each gets the same). */
    public @NonNull Model compile(@NonNull Optimizer optimizer, @NonNull Loss loss, @NonNull List<Metric> metrics) {
        int k = graph.outputs().length;
        return compile(optimizer, Collections.nCopies(k, loss), Collections.nCopies(k, 1.0), Collections.nCopies(k, List.copyOf(metrics)));
    }

    /**
     * Per-output losses, loss weights and metrics (lists in output order, see {@link #outputNames()}): the training
     * loss is Σ weightᵢ·lossᵢ, and metrics are logged as {@code <output>_<metric>} when there are several outputs.
     */
    public @NonNull Model compile(@NonNull Optimizer optimizer, @NonNull List<Loss> losses, @NonNull List<Double> lossWeights,
                                  @NonNull List<List<Metric>> metrics) {
        this.objective = Objective.of(this, losses, lossWeights, metrics);
        this.optimizerState = new OptimizerState(optimizer, weights);
        execution.forgetPlans();
        return this;
    }

    public boolean isCompiled() {
        return objective != null;
    }

    void requireCompiled(String what) {
        if (objective == null) {
            throw new DlkitException(what + " needs a compiled model: call compile(optimizer, loss, metrics...) first");
        }
    }

    Objective objective() {
        return objective;
    }

    List<Objective.Head> heads() {
        return objective == null ? List.of() : objective.heads;
    }

    OptimizerState optimization() {
        return optimizerState;
    }

    public @Nullable Optimizer optimizer() {
        return optimizerState == null ? null : optimizerState.optimizer;
    }

    /** The first output's loss. */
    public @Nullable Loss loss() {
        return objective == null ? null : objective.heads.get(0).loss();
    }

    /** The first output's metrics. */
    public @NonNull List<Metric> metrics() {
        return objective == null ? List.of() : objective.heads.get(0).metrics();
    }

    /** Each output's loss, in output order. */
    public @NonNull List<Loss> losses() {
        return heads().stream().map(Objective.Head::loss).toList();
    }

    /** Each output's loss weight, in output order. */
    public @NonNull List<Double> lossWeights() {
        return heads().stream().map(Objective.Head::weight).toList();
    }

    /** Each output's metrics, in output order. */
    public @NonNull List<List<Metric>> outputMetrics() {
        return heads().stream().map(Objective.Head::metrics).toList();
    }

    public double learningRate() {
        return optimizerState == null ? 0 : optimizerState.learningRate;
    }

    public void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
        }
        requireCompiled("setLearningRate");
        optimizerState.learningRate = lr;
    }

    /** Optimizer steps taken so far (the t of Adam's bias correction). */
    public long iterations() {
        return optimizerState == null ? 0 : optimizerState.iterations;
    }

    /** A copy of the optimizer's moments, laid out as ND4J's updater state views (e.g. Adam's [m | v]). */
    public float @Nullable [] optimizerState() {
        return optimizerState == null ? null : optimizerState.moments();
    }

    /** Restores the optimizer's moments and step count (from an archive or checkpoint). */
    public void setOptimizerState(float @NonNull [] state, long iterations) {
        requireCompiled("setOptimizerState");
        optimizerState.restore(state, iterations);
    }

    /** The compiled execution for batches of up to {@code maxBatch}, planned once and kept. */
    Plan plan(int maxBatch, boolean forTraining) {
        return plan(maxBatch, forTraining, false);
    }

    /** With {@code inputGradient}, backward also writes dL/d(input) (gradient checks of a first layer). */
    Plan plan(int maxBatch, boolean forTraining, boolean inputGradient) {
        return execution.plan(this, maxBatch, forTraining && objective != null, inputGradient);
    }

    /**
     * Checks, allocating nothing, that a batch of {@code batchSize} fits in what this JVM has left: activation
     * buffers (with gradients when {@code training}) under the native-memory limit and each under 2^31 values.
     * {@code fit} and {@code predict} check the same before they plan; a run config's validation calls it directly.
     */
    public void checkMemory(int batchSize, boolean training) {
        Planner.checkMemory(graph.tensorShapes(), dtype, batchSize, training);
    }

    /**
     * Raises a clear error when {@code d} does not fit this compiled model: sample shape, labels per sample, and class
     * indices in range for sparse cross-entropy. {@code what} names the data in the message.
     */
    public void checkData(@NonNull Dataset d, @NonNull String what) {
        requireCompiled("checkData");
        objective.checkData(this, d, what);
    }

    // ---- training and inference (Trainer, Inference) ----

    public @NonNull History fit(@NonNull Dataset data, @NonNull FitOptions options) {
        return new Trainer(this).fit(data, options);
    }

    /** Mean wall time of one layer's forward and backward in a training step. */
    /** One layer's mean time per step, and its forward pass' matrix and convolution work over the step's batch. */
    public record LayerTiming(@NonNull String layer, @NonNull String type, double forwardMs, double backwardMs, long forwardFlops) {
        /** GFLOP/s of the forward pass; 0 when the layer's work is not counted. */
        public double forwardGflops() {
            return forwardMs > 0 ? forwardFlops / forwardMs / 1e6 : 0;
        }
    }

    /**
     * Times every layer's forward and backward over {@code steps} training steps on the first batch of {@code data}
     * (after one warm-up step). Weights are not updated. For finding where a model spends its time.
     */
    public @NonNull List<LayerTiming> profileLayers(@NonNull Dataset data, int batchSize, int steps) {
        return new Trainer(this).profileLayers(data, batchSize, steps);
    }

    /**
     * One forward and backward pass in inference mode over {@code x} (all samples in one batch): returns the loss
     * (with regularisation) and leaves the gradients readable through {@link #getGradients()}. For gradient checks
     * and custom training loops; weights are not changed.
     */
    public double computeGradients(@NonNull INDArray x, @NonNull INDArray y) {
        return computeGradients(List.of(x), List.of(y));
    }

    /** {@link #computeGradients(INDArray, INDArray)} for a model with several inputs and outputs (arrays in order). */
    public double computeGradients(@NonNull List<INDArray> xs, @NonNull List<INDArray> ys) {
        return new Trainer(this).computeGradients(xs, ys);
    }

    /** Loss (with regularisation, as in Keras) and every compiled metric over the whole dataset. */
    public @NonNull Map<String, Double> evaluate(@NonNull Dataset data) {
        return evaluate(data, 256);
    }

    public @NonNull Map<String, Double> evaluate(@NonNull Dataset data, int batchSize) {
        return new Inference(this).evaluate(data, batchSize);
    }

    /** Class confusion counts of the predictions on {@code data} (argmax, or 0.5 for one sigmoid output). */
    public @NonNull ConfusionMatrix confusionMatrix(@NonNull Dataset data) {
        return new Inference(this).confusionMatrix(data);
    }

    /** Outputs for {@code x} shaped {@code [samples, ...input shape]}, in inference mode (no dropout). */
    public @NonNull INDArray predict(@NonNull INDArray x) {
        return predict(x, 256);
    }

    public @NonNull INDArray predict(@NonNull INDArray x, int batchSize) {
        return new Inference(this).predict(x, batchSize);
    }

    /** Every output for inputs {@code xs} (in input order), in inference mode. */
    public @NonNull List<INDArray> predict(@NonNull List<INDArray> xs) {
        return predict(xs, 256);
    }

    public @NonNull List<INDArray> predict(@NonNull List<INDArray> xs, int batchSize) {
        return new Inference(this).predict(xs, batchSize);
    }

    /**
     * A planned inference for batches of up to {@code maxBatch} samples that reads and writes caller-owned float
     * arrays and allocates nothing per call (serving's batcher keeps one per model). One caller at a time.
     */
    public @NonNull Predictor predictor(int maxBatch) {
        return new Predictor(this, maxBatch);
    }

    // ---- files (ModelConfig; ModelFormat) ----

    /** Saves in the format the file name asks for ({@code .dlk}): written to a temp file, then renamed. */
    public void save(@NonNull Path path) {
        ModelFormat.forPath(path).save(this, path);
    }

    public static @NonNull Model load(@NonNull Path path) {
        return ModelFormat.forPath(path).load(path);
    }

    /** The versioned JSON model config ({@code "format": "dlkit-model", "version": 1}). */
    public @NonNull String toJson() {
        return ModelConfig.toJson(this);
    }

    public static @NonNull Model fromJson(@NonNull String json) {
        return ModelConfig.fromJson(json, "model config");
    }

    // package-private hooks for Buf access in tests
    Buf gradientBuffer() {
        return weights.gradBuf;
    }

    Buf parameterBuffer() {
        return weights.paramBuf;
    }
}
