package dlkit.model;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.LayerCall;
import dlkit.layers.SymbolicTensor;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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

    /** The chain of a Sequential model: tensor i is layer i's output (tensor 0 the Input's). */
    static Graph chain(List<Layer> layers, List<Shape> shapes) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 1; i < layers.size(); i++) {
            nodes.add(new Node(i, new int[] {i - 1}, new int[] {i}, 0));
        }
        return new Graph(layers, nodes, shapes, new int[] {0}, new int[] {layers.size() - 1});
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

    /** The same graph with the layers replaced by their named copies. */
    Graph withLayers(List<Layer> named) {
        return new Graph(named, nodes, tensorShapes, inputs, outputs);
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

    static Map<String, Integer> indexByName(List<Layer> layers) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < layers.size(); i++) {
            if (m.put(layers.get(i).name(), i) != null) {
                throw new DlkitException("duplicate layer name \"" + layers.get(i).name() + "\"");
            }
        }
        return m;
    }
}
