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
import dlkit.layers.SymbolicTensor;
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
    final Graph graph;
    private final boolean functional;
    private final DType dtype;
    final Weights weights;
    private boolean initialized;
    private long seed;

    private @Nullable Optimizer optimizer;
    private @Nullable Loss loss;
    private List<Metric> metrics = List.of();
    private List<Head> heads = List.of();
    private List<String> metricNames = List.of();
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
            if (l instanceof Input) {
                throw new ShapeException("layer " + i + " is an Input: a Sequential model has one Input, first; use Model.of(inputs, outputs) for several");
            }
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
        this.graph = Graph.chain(layers, shapes);
        this.functional = false;
        this.weights = new Weights(layers, layerInputShapes(graph), dtype);
    }

    /** A functional model over {@code graph} (see {@link #of(List, List)}). */
    Model(@NonNull String name, Graph raw, @NonNull DType dtype) {
        this.name = name;
        this.dtype = dtype;
        this.layers = List.copyOf(assignNames(raw.layers()));
        for (Layer l : layers) {
            if (l.name().contains(":") || l.name().contains("#")) {
                throw new DlkitException("layer name \"" + l.name() + "\" contains ':' or '#', which mark a shared layer's later calls (\"dense:1\")"
                        + " and a layer's further outputs (\"lstm#1\")");
            }
        }
        this.graph = raw.withLayers(layers);
        int[] first = graph.firstCalls();
        List<Shape> s = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            s.add(first[i] < 0 ? ((Input) layers.get(i)).shape() : graph.tensorShapes().get(graph.nodes().get(first[i]).out()));
        }
        this.shapes = List.copyOf(s);
        this.functional = true;
        this.weights = new Weights(layers, layerInputShapes(graph), dtype);
    }

    /** The input shape each layer's weights are built for (its first call's first input); null for Inputs. */
    private static List<Shape> layerInputShapes(Graph g) {
        int[] first = g.firstCalls();
        List<Shape> in = new ArrayList<>();
        for (int i = 0; i < g.layers().size(); i++) {
            in.add(first[i] < 0 ? null : g.tensorShapes().get(g.nodes().get(first[i]).in()[0]));
        }
        return in;
    }

    /**
     * A functional model (Keras' {@code keras.Model(inputs, outputs)}): the layers called between the {@link Input}s
     * and the output tensors, with shared layers, merges and several inputs and outputs.
     */
    public static @NonNull Model of(@NonNull List<? extends SymbolicTensor> inputs, @NonNull List<? extends SymbolicTensor> outputs) {
        return new Model("functional", Graph.of(inputs, outputs), DType.FLOAT32);
    }

    /** The same architecture in another precision (weights are not copied). */
    public @NonNull Model withDType(@NonNull DType dtype) {
        return new Model(name, graph, dtype);
    }

    /** The same architecture under another name (weights are not copied). */
    public @NonNull Model named(@NonNull String name) {
        return new Model(name, graph, dtype);
    }

    /**
     * The part of this model between tensors {@code inputs} and {@code outputs} (tensor names: a layer's name, or
     * {@code name:k} for its k-th call) as a model of its own, with a copy of the current weights: after training an
     * autoencoder, {@code subModel(List.of("input_layer"), List.of("code"))} is its encoder and
     * {@code subModel(List.of("code"), List.of("reconstruction"))} its decoder. A tensor that is not one of this model's
     * inputs becomes a new Input named {@code <tensor>_input}.
     */
    public @NonNull Model subModel(@NonNull List<String> inputs, @NonNull List<String> outputs) {
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int t = 0; t < graph.tensorShapes().size(); t++) {
            byName.put(graph.tensorName(t), t);
        }
        Map<Integer, SymbolicTensor> sym = new HashMap<>();
        List<SymbolicTensor> ins = new ArrayList<>();
        for (String in : inputs) {
            Integer t = byName.get(in);
            if (t == null) {
                throw new DlkitException("subModel: model '" + name + "' has no tensor \"" + in + "\"; its tensors are " + byName.keySet());
            }
            Integer inputIndex = null;
            for (int i = 0; i < graph.inputs().length; i++) {
                if (graph.inputs()[i] == t) {
                    inputIndex = i;
                }
            }
            Input input = inputIndex != null ? (Input) layers.get(inputIndex)
                    : Input.of(graph.tensorShapes().get(t).dims()).named(in.replace(':', '_') + "_input");
            sym.put(t, input);
            ins.add(input);
        }
        for (Graph.Node n : graph.nodes()) {
            if (sym.containsKey(n.out())) {
                continue;
            }
            List<SymbolicTensor> args = new ArrayList<>();
            for (int t : n.in()) {
                if (sym.get(t) == null) {
                    break;
                }
                args.add(sym.get(t));
            }
            if (args.size() == n.in().length) {
                List<dlkit.layers.LayerCall> outs = layers.get(n.layer()).applyAll(args);
                for (int k = 0; k < outs.size(); k++) {
                    sym.put(n.outs()[k], outs.get(k));
                }
            }
        }
        List<SymbolicTensor> outs = new ArrayList<>();
        for (String out : outputs) {
            Integer t = byName.get(out);
            if (t == null) {
                throw new DlkitException("subModel: model '" + name + "' has no tensor \"" + out + "\"; its tensors are " + byName.keySet());
            }
            if (sym.get(t) == null) {
                throw new DlkitException("subModel: output \"" + out + "\" does not follow from the inputs " + inputs + " alone");
            }
            outs.add(sym.get(t));
        }
        Model sub = new Model(name + "_sub", Graph.of(ins, outs), dtype);
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
        if (inputs.size() != graph.inputs().length) {
            throw new ShapeException("model '" + name + "' takes " + graph.inputs().length + " input(s) " + inputNames() + ", got " + inputs.size());
        }
        Map<Integer, SymbolicTensor> sym = new HashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            Shape want = graph.tensorShapes().get(graph.inputs()[i]);
            if (!inputs.get(i).shape().equals(want)) {
                throw new ShapeException("model '" + name + "' input '" + inputNames().get(i) + "' takes " + want.withBatch() + ", got "
                        + inputs.get(i).shape().withBatch());
            }
            sym.put(graph.inputs()[i], inputs.get(i));
        }
        for (Graph.Node n : graph.nodes()) {
            List<SymbolicTensor> args = new ArrayList<>();
            for (int t : n.in()) {
                args.add(sym.get(t));
            }
            List<dlkit.layers.LayerCall> outs = layers.get(n.layer()).applyAll(args);
            for (int k = 0; k < outs.size(); k++) {
                sym.put(n.outs()[k], outs.get(k));
            }
        }
        return Arrays.stream(graph.outputs()).mapToObj(sym::get).toList();
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

    /**
     * Copies from {@code source} every weight this model has under the same name (a nested model's weights out of
     * the model it was trained in, or the reverse). At least one must match.
     */
    public void setWeightsFrom(@NonNull Model source) {
        Map<String, INDArray> src = source.getWeights();
        Map<String, INDArray> dst = weights.toMap();
        long matched = dst.keySet().stream().filter(src::containsKey).count();
        if (matched == 0 && !dst.isEmpty()) {
            throw new DlkitException("setWeightsFrom: model '" + source.name() + "' has none of the weights of model '" + name + "' " + dst.keySet());
        }
        dst.replaceAll((k, v) -> src.getOrDefault(k, v));
        setWeights(dst, "setWeightsFrom(" + source.name() + ")");
    }

    /** A functional model with one input and one output. */
    public static @NonNull Model of(@NonNull SymbolicTensor input, @NonNull SymbolicTensor output) {
        return of(List.of(input), List.of(output));
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

    /** The layer named {@code name}. */
    public @NonNull Layer getLayer(@NonNull String name) {
        for (Layer l : layers) {
            if (l.name().equals(name)) {
                return l;
            }
        }
        throw new DlkitException("model '" + this.name + "' has no layer named \"" + name + "\"; its layers are "
                + layers.stream().map(Layer::name).toList());
    }

    /**
     * The inputs of each call of layer {@code layer} (index into {@link #layers()}), by tensor name ({@code dense},
     * {@code dense:1} for a shared layer's second call): one list per call, in the order the calls run.
     */
    public @NonNull List<List<String>> callInputs(int layer) {
        List<List<String>> calls = new ArrayList<>();
        for (Graph.Node n : graph.nodes()) {
            if (n.layer() == layer) {
                calls.add(Arrays.stream(n.in()).mapToObj(graph::tensorName).toList());
            }
        }
        return calls;
    }

    /** Samples as a dataset holds them: the only input's shape, or all inputs flattened and packed one after another. */
    @NonNull Shape featureShape() {
        if (graph.inputs().length == 1) {
            return inputShape();
        }
        int total = 0;
        for (Shape sh : inputShapes()) {
            total += sh.size();
        }
        return Shape.of(total);
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

    /** One loss and one metric list for every output (for a model with several outputs, each gets the same). */
    public @NonNull Model compile(@NonNull Optimizer optimizer, @NonNull Loss loss, @NonNull List<Metric> metrics) {
        int k = graph.outputs().length;
        return compile(optimizer, java.util.Collections.nCopies(k, loss), java.util.Collections.nCopies(k, 1.0),
                java.util.Collections.nCopies(k, List.copyOf(metrics)));
    }

    /**
     * Per-output losses, loss weights and metrics (lists in output order, see {@link #outputNames()}): the training
     * loss is Σ weightᵢ·lossᵢ, and metrics are logged as {@code <output>_<metric>} when there are several outputs.
     */
    public @NonNull Model compile(@NonNull Optimizer optimizer, @NonNull List<Loss> losses, @NonNull List<Double> lossWeights,
                                  @NonNull List<List<Metric>> metrics) {
        int k = graph.outputs().length;
        if (losses.size() != k || lossWeights.size() != k || metrics.size() != k) {
            throw new DlkitException("model '" + name + "' has " + k + " output(s) " + outputNames() + " but compile got "
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
        this.heads = List.copyOf(hs);
        List<String> names = new ArrayList<>();
        for (Head h : heads) {
            for (Metric m : h.metrics()) {
                names.add(heads.size() == 1 ? m.name() : h.name() + "_" + m.name());
            }
        }
        // Read by the running logs after every batch.
        this.metricNames = List.copyOf(names);
        this.optimizer = optimizer;
        this.loss = losses.get(0);
        this.metrics = List.copyOf(metrics.get(0));
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

    /** One output's loss, its weight in the total, its metrics, and where its labels sit in a packed label row. */
    record Head(int output, String name, Loss loss, double weight, List<Metric> metrics, int width, int rowsPerSample,
                int labelWidth, int labelOffset) {}

    List<Head> heads() {
        return heads;
    }

    /** Each output's loss, in output order. */
    public @NonNull List<Loss> losses() {
        return heads.stream().map(Head::loss).toList();
    }

    /** Each output's loss weight, in output order. */
    public @NonNull List<Double> lossWeights() {
        return heads.stream().map(Head::weight).toList();
    }

    /** Each output's metrics, in output order. */
    public @NonNull List<List<Metric>> outputMetrics() {
        return heads.stream().map(Head::metrics).toList();
    }

    /** The names metrics are logged under, in accumulator order ({@code accuracy}, or {@code class_accuracy} per output). */
    @NonNull List<String> metricNames() {
        return metricNames;
    }

    private List<Metric.Accumulator> newAccumulators() {
        List<Metric.Accumulator> accs = new ArrayList<>();
        for (Head h : heads) {
            for (Metric m : h.metrics()) {
                accs.add(m.newAccumulator(h.loss(), h.width()));
            }
        }
        return accs;
    }

    /** Output {@code h}'s labels for the first {@code n} samples: {@code y} itself, or unpacked from it. */
    private static float[] labelsOf(Plan plan, List<Head> heads, int h, float[] y, int n) {
        if (heads.size() == 1) {
            return y;
        }
        Head head = heads.get(h);
        int total = heads.get(heads.size() - 1).labelOffset() + heads.get(heads.size() - 1).labelWidth();
        float[] dst = plan.headLabels[h];
        for (int r = 0; r < n; r++) {
            System.arraycopy(y, r * total + head.labelOffset(), dst, r * head.labelWidth(), head.labelWidth());
        }
        return dst;
    }

    /** Σ weightᵢ·lossᵢ over the outputs (each loss stored in {@code perHead} when given); with {@code grad}, writes dL/d(output). */
    private double lossOf(Plan plan, float[] y, int n, boolean grad, double @Nullable [] perHead) {
        double total = 0;
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
            float[] yh = labelsOf(plan, heads, h, y, n);
            int rows = n * head.rowsPerSample();
            Buf g = grad ? plan.outputGrads[h] : null;
            double l = head.loss().compute(plan.outputs[h], yh, rows, head.width(), g, grad && plan.fusedOutputs[h]);
            if (g != null && head.weight() != 1) {
                Plan.scale(g, rows * head.width(), head.weight());
            }
            if (perHead != null) {
                perHead[h] += l;
            }
            total += head.weight() * l;
        }
        return total;
    }

    private void updateMetrics(Plan plan, float[] y, int n, List<Metric.Accumulator> accs) {
        int a = 0;
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
            float[] yh = head.metrics().isEmpty() ? y : labelsOf(plan, heads, h, y, n);
            for (int m = 0; m < head.metrics().size(); m++) {
                accs.get(a++).update(plan.outputs[h], yh, n * head.rowsPerSample(), head.width());
            }
        }
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
        boolean training = forTraining && loss != null;
        long key = ((long) maxBatch << 2) | (training ? 1 : 0) | (inputGradient ? 2 : 0);
        return plans.computeIfAbsent(key, k -> new Plan(this, maxBatch, training, inputGradient));
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
            if (graph.inputs().length != 1) {
                throw new DlkitException("data augmentation works on image inputs of single-input models; model '" + name + "' has "
                        + graph.inputs().length + " inputs");
            }
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
        int labelWidth = train.labelWidth();
        float[] y = new float[batch * labelWidth];
        List<Metric.Accumulator> accs = newAccumulators();
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
                double l = trainStep(plan, n, y);
                updateMetrics(plan, y, n, accs);
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

    private double trainStep(Plan plan, int n, float[] y) {
        long step = iterations;
        plan.forward(n, true, step);
        double l = lossOf(plan, y, n, true, null);
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
        float[] y = new float[batchSize * data.labelWidth()];
        int n = data.cursor(false, 0, 0).next(plan.input, y, batchSize);
        int k = layers.size();
        long[] fwd = new long[k];
        long[] bwd = new long[k];
        Runnable lossStep = () -> lossOf(plan, y, n, true, null);
        plan.timedStep(n, 0, fwd, bwd, lossStep);
        java.util.Arrays.fill(fwd, 0);
        java.util.Arrays.fill(bwd, 0);
        for (int s = 0; s < steps; s++) {
            plan.timedStep(n, s, fwd, bwd, lossStep);
        }
        List<LayerTiming> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            Layer l = layers.get(i);
            if (!(l instanceof Input)) {
                out.add(new LayerTiming(l.name(), l.type(), fwd[i] / 1e6 / steps, bwd[i] / 1e6 / steps));
            }
        }
        return out;
    }

    /**
     * Raises a clear error when {@code d} does not fit this compiled model: sample shape, labels per sample, and class
     * indices in range for sparse cross-entropy. {@code what} names the data in the message.
     */
    public void checkData(@NonNull Dataset d, @NonNull String what) {
        requireCompiled("checkData");
        if (graph.inputs().length > 1) {
            if (!d.featureShape().equals(featureShape())) {
                throw new ShapeException(what + ": samples are shaped " + d.featureShape() + " but model '" + name + "' takes "
                        + graph.inputs().length + " inputs " + inputShapes() + ", packed per sample as " + featureShape()
                        + " (build the data with ArrayDataset.ofInputs)");
            }
        } else if (!d.featureShape().equals(inputShape())) {
            throw new ShapeException(what + ": samples are shaped " + d.featureShape() + " but model '" + name
                    + "' expects " + inputShape() + " (its Input)"
                    + (d.featureShape().size() == inputShape().size() ? "; reshape the data or add a Flatten/Reshape layer" : ""));
        }
        if (heads.size() > 1) {
            Head last = heads.get(heads.size() - 1);
            int expected = last.labelOffset() + last.labelWidth();
            if (d.labelWidth() != expected) {
                StringBuilder per = new StringBuilder();
                for (Head h : heads) {
                    per.append(per.length() == 0 ? "" : ", ").append(h.name()).append(": ").append(h.labelWidth());
                }
                throw new ShapeException(what + ": " + d.labelWidth() + " label value(s) per sample, but the outputs' losses need "
                        + expected + " packed per sample (" + per + ")");
            }
            return;
        }
        int expected = heads.get(0).labelWidth();
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
        float[] y = new float[batch * data.labelWidth()];
        List<Metric.Accumulator> accs = newAccumulators();
        double lossSum = 0;
        double[] headSums = new double[heads.size()];
        double[] headBatch = new double[heads.size()];
        long seen = 0;
        Dataset.Cursor cursor = data.cursor(false, 0, 0);
        int n;
        while ((n = cursor.next(plan.input, y, batch)) > 0) {
            plan.forward(n, false, 0);
            java.util.Arrays.fill(headBatch, 0);
            lossSum += lossOf(plan, y, n, false, headBatch) * n;
            for (int h = 0; h < headSums.length; h++) {
                headSums[h] += headBatch[h] * n;
            }
            updateMetrics(plan, y, n, accs);
            seen += n;
        }
        if (seen == 0) {
            throw new DlkitException("cannot evaluate on an empty dataset");
        }
        logs.put(prefix + "loss", lossSum / seen + plan.penalty());
        if (heads.size() > 1) {
            for (int h = 0; h < heads.size(); h++) {
                logs.put(prefix + heads.get(h).name() + "_loss", headSums[h] / seen);
            }
        }
        List<String> names = metricNames();
        for (int i = 0; i < accs.size(); i++) {
            logs.put(prefix + names.get(i), accs.get(i).result());
        }
    }

    /** Class confusion counts of the predictions on {@code data} (argmax, or 0.5 for one sigmoid output). */
    public @NonNull ConfusionMatrix confusionMatrix(@NonNull Dataset data) {
        requireCompiled("confusionMatrix");
        checkData(data, "data");
        if (heads.size() != 1) {
            throw new DlkitException("confusionMatrix needs a single-output model; model '" + name + "' has outputs " + outputNames());
        }
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

    /** Every output for inputs {@code xs} (in input order), in inference mode. */
    public @NonNull List<INDArray> predict(@NonNull List<INDArray> xs) {
        return predict(xs, 256);
    }

    public @NonNull List<INDArray> predict(@NonNull List<INDArray> xs, int batchSize) {
        ensureInitialized(null);
        int n = (int) xs.get(0).size(0);
        double[] packed = packInputs(xs, "predict");
        int in = featureShape().size();
        Plan plan = plan(Math.max(1, Math.min(batchSize, n)), false);
        List<Shape> outShapes = outputShapes();
        double[][] results = new double[outShapes.size()][];
        for (int o = 0; o < results.length; o++) {
            results[o] = new double[n * outShapes.get(o).size()];
        }
        for (int start = 0; start < n; start += plan.maxBatch) {
            int m = Math.min(plan.maxBatch, n - start);
            plan.input.put(0, packed, start * in, m * in);
            plan.forward(m, false, 0);
            for (int o = 0; o < results.length; o++) {
                int size = outShapes.get(o).size();
                plan.outputs[o].get(0, results[o], start * size, m * size);
            }
        }
        List<INDArray> out = new ArrayList<>();
        for (int o = 0; o < results.length; o++) {
            long[] shape = new long[outShapes.get(o).rank() + 1];
            shape[0] = n;
            for (int i = 0; i < outShapes.get(o).rank(); i++) {
                shape[i + 1] = outShapes.get(o).dim(i);
            }
            INDArray a = Nd4j.create(results[o], shape, 'c');
            out.add(dtype == DType.FLOAT32 ? a.castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT) : a);
        }
        return out;
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
        return computeGradients(List.of(x), List.of(y));
    }

    /** {@link #computeGradients(INDArray, INDArray)} for a model with several inputs and outputs (arrays in order). */
    public double computeGradients(@NonNull List<INDArray> xs, @NonNull List<INDArray> ys) {
        requireCompiled("computeGradients");
        ensureInitialized(null);
        int n = (int) xs.get(0).size(0);
        double[] packedX = packInputs(xs, "computeGradients");
        float[] packedY = packLabels(ys, n);
        Plan plan = plan(n, true);
        plan.input.put(0, packedX, 0, packedX.length);
        plan.forward(n, false, 0);
        double l = lossOf(plan, packedY, n, true, null);
        plan.backward(n);
        return l + plan.penalty();
    }

    /** Inputs as a plan takes them: one row per sample, inputs one after another. */
    private double[] packInputs(List<INDArray> xs, String what) {
        List<Shape> in = inputShapes();
        if (xs.size() != in.size()) {
            throw new ShapeException(what + ": model '" + name + "' takes " + in.size() + " input(s) " + inputNames() + ", got " + xs.size() + " array(s)");
        }
        int n = (int) xs.get(0).size(0);
        int total = featureShape().size();
        double[] packed = new double[n * total];
        int off = 0;
        for (int i = 0; i < xs.size(); i++) {
            INDArray x = xs.get(i);
            int size = in.get(i).size();
            if (x.size(0) != n || x.length() != (long) n * size) {
                throw new ShapeException(what + ": input '" + inputNames().get(i) + "' expects " + in.get(i).withBatch() + " for " + n
                        + " samples, got " + Arrays.toString(x.shape()));
            }
            double[] v = x.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).dup('c').data().asDouble();
            for (int r = 0; r < n; r++) {
                System.arraycopy(v, r * size, packed, r * total + off, size);
            }
            off += size;
        }
        return packed;
    }

    /** Labels packed per sample in output order, each output's as its loss reads them. */
    private float[] packLabels(List<INDArray> ys, int n) {
        if (ys.size() != heads.size()) {
            throw new ShapeException("model '" + name + "' has " + heads.size() + " output(s) " + outputNames() + ", got " + ys.size() + " label array(s)");
        }
        Head last = heads.get(heads.size() - 1);
        int total = last.labelOffset() + last.labelWidth();
        float[] packed = new float[n * total];
        for (int h = 0; h < heads.size(); h++) {
            Head head = heads.get(h);
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
        return functional ? "Functional" : "Sequential";
    }

    // package-private hooks for Buf access in tests
    Buf gradientBuffer() {
        return weights.gradBuf;
    }

    Buf parameterBuffer() {
        return weights.paramBuf;
    }
}
