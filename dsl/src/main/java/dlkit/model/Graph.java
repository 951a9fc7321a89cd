package dlkit.model;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.LayerCall;
import dlkit.layers.SymbolicTensor;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A model's structure as a DAG: layers (named, each once, Inputs first), calls of those layers in topological order,
 * and tensors (the model inputs, then one per call). A Sequential model is the chain where call i feeds call i+1.
 */
record Graph(List<Layer> layers, List<Node> nodes, List<Shape> tensorShapes, int[] inputs, int[] outputs) {
    /**
     * Layer {@code layer} applied to tensors {@code in}, producing tensors {@code outs} (one, or an RNN's output and
     * final states); {@code use} counts earlier calls of the layer.
     */
    record Node(int layer, int[] in, int[] outs, int use) {
        /** The first (for most layers the only) output. */
        int out() {
            return outs[0];
        }
    }

    /**
     * The chain of a Sequential model (layers named, Input first): tensor i is layer i's output (tensor 0 the
     * Input's). Each layer's shape rule runs in turn; an error names both layers and the shape between them.
     */
    static Graph chain(List<Layer> layers) {
        if (layers.isEmpty() || !(layers.get(0) instanceof Input)) {
            throw new ShapeException("a model starts with Input.of(...) to declare the sample shape; got "
                    + (layers.isEmpty() ? "no layers" : layers.get(0).type() + " first"));
        }
        if (layers.size() < 2) {
            throw new ShapeException("a model needs at least one layer after its Input");
        }
        List<Shape> shapes = new ArrayList<>();
        Shape cur = ((Input) layers.get(0)).shape();
        shapes.add(cur);
        List<Node> nodes = new ArrayList<>();
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
            shapes.add(cur);
            nodes.add(new Node(i, new int[] {i - 1}, new int[] {i}, 0));
        }
        return new Graph(layers, nodes, List.copyOf(shapes), new int[] {0}, new int[] {layers.size() - 1});
    }

    /** Keras' naming: {@code dense}, {@code dense_1}, …; names the user gave are kept and must be unique. */
    static List<Layer> named(List<? extends Layer> in) {
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
            String base = l instanceof Input ? "input_layer" : l.type().replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
            String candidate;
            do {
                int k = counters.merge(base, 1, Integer::sum) - 1;
                candidate = k == 0 ? base : base + "_" + k;
            } while (used.contains(candidate));
            used.add(candidate);
            out.add(l.named(candidate));
        }
        return List.copyOf(out);
    }

    /**
     * The graph between symbolic {@code inputs} and {@code outputs}: every call the outputs depend on, found by a
     * depth-first walk (so the order depends only on the graph), layers named as Keras names them.
     */
    static Graph of(List<? extends SymbolicTensor> inputs, List<? extends SymbolicTensor> outputs) {
        if (inputs.isEmpty()) {
            throw new ShapeException("a functional model needs at least one input (Input.of(...))");
        }
        if (outputs.isEmpty()) {
            throw new ShapeException("a functional model needs at least one output");
        }
        Map<SymbolicTensor, Integer> ids = new IdentityHashMap<>();
        Map<Object, int[]> callIds = new IdentityHashMap<>();
        Map<Layer, Integer> layerIds = new IdentityHashMap<>();
        List<Layer> layers = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        int[] in = new int[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            SymbolicTensor t = inputs.get(i);
            if (!(t instanceof Input input)) {
                throw new ShapeException("model input " + i + " is " + t + ", not an Input: a model's inputs are the Input.of(...) tensors its layers start from");
            }
            if (ids.containsKey(t)) {
                throw new ShapeException("model input " + i + " (" + describe(input) + ") is listed twice");
            }
            ids.put(t, i);
            layerIds.put(input, layers.size());
            layers.add(input);
            shapes.add(input.shape());
            in[i] = i;
        }
        List<Node> nodes = new ArrayList<>();
        int[] out = new int[outputs.size()];
        for (int o = 0; o < outputs.size(); o++) {
            out[o] = visit(outputs.get(o), o, ids, callIds, layerIds, layers, shapes, nodes);
        }
        boolean[] used = new boolean[inputs.size()];
        for (Node n : nodes) {
            for (int t : n.in()) {
                if (t < used.length) {
                    used[t] = true;
                }
            }
        }
        for (int t : out) {
            if (t < used.length) {
                used[t] = true;
            }
        }
        for (int i = 0; i < used.length; i++) {
            if (!used[i]) {
                throw new ShapeException("model input " + i + " (" + describe(layers.get(i)) + ", shape " + shapes.get(i).withBatch()
                        + ") does not feed any output; remove it from the inputs or connect it");
            }
        }
        return new Graph(layers, nodes, shapes, in, out);
    }

    private static int visit(SymbolicTensor t, int output, Map<SymbolicTensor, Integer> ids, Map<Object, int[]> callIds,
                             Map<Layer, Integer> layerIds, List<Layer> layers, List<Shape> shapes, List<Node> nodes) {
        Integer id = ids.get(t);
        if (id != null) {
            return id;
        }
        if (t instanceof Input input) {
            throw new ShapeException("output " + output + " depends on " + describe(input) + " shaped " + input.shape().withBatch()
                    + ", which is not among the model's inputs (the graph is disconnected); pass it in the inputs");
        }
        LayerCall call = (LayerCall) t;
        int[] done = callIds.get(call.call());
        if (done != null) {
            // Another output of a call already in the graph.
            ids.put(t, done[call.index()]);
            return done[call.index()];
        }
        int[] in = new int[call.inputs().size()];
        for (int i = 0; i < in.length; i++) {
            in[i] = visit(call.inputs().get(i), output, ids, callIds, layerIds, layers, shapes, nodes);
        }
        Layer layer = call.layer();
        Integer li = layerIds.get(layer);
        int use = 0;
        if (li == null) {
            li = layers.size();
            layerIds.put(layer, li);
            layers.add(layer);
        } else {
            for (Node n : nodes) {
                if (n.layer() == li) {
                    use++;
                }
            }
        }
        int[] outs = new int[call.callShapes().size()];
        for (int k = 0; k < outs.length; k++) {
            outs[k] = shapes.size();
            shapes.add(call.callShapes().get(k));
        }
        nodes.add(new Node(li, in, outs, use));
        callIds.put(call.call(), outs);
        ids.put(t, outs[call.index()]);
        return outs[call.index()];
    }

    private static String describe(Layer l) {
        return l.name() != null ? "Input '" + l.name() + "'" : "an unnamed Input";
    }

    /** The same graph with its layers named as Keras would (names with ':' or '#', which mark tensors, refused). */
    Graph named() {
        List<Layer> named = named(layers);
        for (Layer l : named) {
            if (l.name().contains(":") || l.name().contains("#")) {
                throw new DlkitException("layer name \"" + l.name() + "\" contains ':' or '#', which mark a shared layer's later calls (\"dense:1\")"
                        + " and a layer's further outputs (\"lstm#1\")");
            }
        }
        return new Graph(named, nodes, tensorShapes, inputs, outputs);
    }

    /** Each layer's output shape (a shared layer's first call; an Input's own shape). */
    List<Shape> layerOutputShapes() {
        int[] first = firstCalls();
        List<Shape> s = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            s.add(first[i] < 0 ? ((Input) layers.get(i)).shape() : tensorShapes.get(nodes.get(first[i]).out()));
        }
        return List.copyOf(s);
    }

    /** The input shape each layer's weights are built for (its first call's first input); null for Inputs. */
    List<Shape> layerInputShapes() {
        int[] first = firstCalls();
        List<Shape> in = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            in.add(first[i] < 0 ? null : tensorShapes.get(nodes.get(first[i]).in()[0]));
        }
        return in;
    }

    /** The call that produces tensor {@code t}, or null for a model input. */
    Node producer(int t) {
        for (Node n : nodes) {
            for (int o : n.outs()) {
                if (o == t) {
                    return n;
                }
            }
        }
        return null;
    }

    /**
     * Tensor {@code t} as the JSON and summary name it: the producing layer's name, with {@code :k} for its k-th call
     * and {@code #j} for the j-th output of a call with several ({@code lstm#1}: an LSTM's final h).
     */
    String tensorName(int t) {
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == t) {
                return layers.get(i).name();
            }
        }
        Node n = producer(t);
        if (n == null) {
            throw new IllegalStateException("tensor " + t);
        }
        int k = 0;
        while (n.outs()[k] != t) {
            k++;
        }
        return layers.get(n.layer()).name() + (n.use() > 0 ? ":" + n.use() : "") + (k > 0 ? "#" + k : "");
    }

    /** The inputs of each call of layer {@code layer}, by tensor name, in the order the calls run. */
    List<List<String>> callInputs(int layer) {
        List<List<String>> calls = new ArrayList<>();
        for (Node n : nodes) {
            if (n.layer() == layer) {
                calls.add(Arrays.stream(n.in()).mapToObj(this::tensorName).toList());
            }
        }
        return calls;
    }

    /** How many calls each layer has. */
    int[] callCounts() {
        int[] c = new int[layers.size()];
        for (Node n : nodes) {
            c[n.layer()]++;
        }
        return c;
    }

    /** The first call of each layer (index into nodes), -1 for Inputs. */
    int[] firstCalls() {
        int[] f = new int[layers.size()];
        java.util.Arrays.fill(f, -1);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            f[nodes.get(i).layer()] = i;
        }
        return f;
    }

    /**
     * The part between tensors {@code inputs} and {@code outputs} (by name) as a graph of its own, on the same layer
     * objects; a tensor that is not one of this graph's inputs becomes a new Input named {@code <tensor>_input}.
     * {@code model} names the model in errors.
     */
    Graph sub(List<String> inputNames, List<String> outputNames, String model) {
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int t = 0; t < tensorShapes.size(); t++) {
            byName.put(tensorName(t), t);
        }
        Map<Integer, SymbolicTensor> bound = new HashMap<>();
        List<SymbolicTensor> ins = new ArrayList<>();
        for (String in : inputNames) {
            int t = tensorNamed(byName, in, model);
            int inputIndex = Arrays.stream(inputs).boxed().toList().indexOf(t);
            Input input = inputIndex >= 0 ? (Input) layers.get(inputIndex)
                    : Input.of(tensorShapes.get(t).dims()).named(in.replace(':', '_') + "_input");
            bound.put(t, input);
            ins.add(input);
        }
        Map<Integer, SymbolicTensor> sym = replay(bound);
        List<SymbolicTensor> outs = new ArrayList<>();
        for (String out : outputNames) {
            SymbolicTensor t = sym.get(tensorNamed(byName, out, model));
            if (t == null) {
                throw new DlkitException("subModel: output \"" + out + "\" does not follow from the inputs " + inputNames + " alone");
            }
            outs.add(t);
        }
        return of(ins, outs);
    }

    private static int tensorNamed(Map<String, Integer> byName, String tensor, String model) {
        Integer t = byName.get(tensor);
        if (t == null) {
            throw new DlkitException("subModel: model '" + model + "' has no tensor \"" + tensor + "\"; its tensors are " + byName.keySet());
        }
        return t;
    }

    /** The graph's calls replayed on {@code args} (one per input, shapes checked): the outputs of a nested model. */
    List<SymbolicTensor> call(List<? extends SymbolicTensor> args, String model) {
        List<String> names = Arrays.stream(inputs).mapToObj(this::tensorName).toList();
        if (args.size() != inputs.length) {
            throw new ShapeException("model '" + model + "' takes " + inputs.length + " input(s) " + names + ", got " + args.size());
        }
        Map<Integer, SymbolicTensor> bound = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            Shape want = tensorShapes.get(inputs[i]);
            if (!args.get(i).shape().equals(want)) {
                throw new ShapeException("model '" + model + "' input '" + names.get(i) + "' takes " + want.withBatch() + ", got "
                        + args.get(i).shape().withBatch());
            }
            bound.put(inputs[i], args.get(i));
        }
        Map<Integer, SymbolicTensor> sym = replay(bound);
        return Arrays.stream(outputs).mapToObj(sym::get).toList();
    }

    /**
     * Calls this graph's layers again on other symbolic tensors: {@code bound} gives tensors for some of this graph's
     * (by index); every call whose inputs are all bound is applied and its outputs bound, in order. The same layer
     * objects are used, so the new calls share their weights.
     */
    Map<Integer, SymbolicTensor> replay(Map<Integer, SymbolicTensor> bound) {
        Map<Integer, SymbolicTensor> sym = new HashMap<>(bound);
        for (Node n : nodes) {
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
                List<LayerCall> outs = layers.get(n.layer()).applyAll(args);
                for (int k = 0; k < outs.size(); k++) {
                    sym.put(n.outs()[k], outs.get(k));
                }
            }
        }
        return sym;
    }
}
