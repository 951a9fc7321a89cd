package dlkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import dlkit.model.ModelConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A Keras model config read as a dlkit model config. A Sequential of plain layers stays a Sequential; a Functional
 * model, or any model holding nested models, becomes one dlkit graph in which nested models are inlined (their
 * layers called once per call of the nested model, so a nested model used twice shares its weights as in Keras).
 * Alongside, every dlkit layer remembers where Keras keeps its variables in {@code model.weights.h5}: the path of
 * attribute names Keras' saver walks ({@code layers/dense_1/vars}, {@code layers/lstm/cell/vars},
 * {@code layers/sequential/layers/dense/vars}), which follows class names, not layer names.
 */
final class KerasGraph {
    private static final Set<String> MODELS = Set.of("Sequential", "Functional", "Model");
    private static final Pattern WORD = Pattern.compile("\\W+");
    private static final Pattern CAMEL1 = Pattern.compile("(.)([A-Z][a-z]+)");
    private static final Pattern CAMEL2 = Pattern.compile("([a-z])([A-Z])");

    /**
     * A dlkit layer made from a Keras layer: its dlkit config, Keras class, variable groups in the weights file, and
     * the Keras layer's own name and that of the top-level layer holding it (itself, or the nested model it sits in):
     * legacy .h5 files key weights by those.
     */
    record Imported(String name, String kerasClass, ObjectNode config, List<String> varGroups, List<List<String>> calls, String kerasName,
                    String topName) {}

    /** The dlkit model config and, per dlkit layer name, what it was imported from. */
    record Result(ObjectNode config, Map<String, Imported> layers) {}

    private final String src;
    private final Map<String, Imported> layers = new LinkedHashMap<>();
    /** (scope path, Keras layer name) → dlkit layer name: one dlkit layer per Keras layer object. */
    private final Map<String, String> created = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    /** While a nested model called at the top level is inlined: its Keras name. */
    private String topName;

    private KerasGraph(String src) {
        this.src = src;
    }

    /** Keras' {@code to_snake_case}: the attribute name its saver gives an unnamed list element. */
    static String snake(String className) {
        String s = WORD.matcher(className).replaceAll("");
        s = CAMEL1.matcher(s).replaceAll("$1_$2");
        s = CAMEL2.matcher(s).replaceAll("$1_$2");
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    /** The variable groups of a layer at {@code path}, in the order of dlkit's weights for it. */
    static List<String> varGroups(String cls, JsonNode config, String path) {
        if (KerasLayers.isRecurrent(cls)) {
            return List.of(path + "/cell/vars");
        }
        if (cls.equals("Bidirectional")) {
            String inner = KerasLayers.isRecurrent(config.path("layer").path("class_name").asText()) ? "cell/vars" : "vars";
            return List.of(path + "/forward_layer/" + inner, path + "/backward_layer/" + inner);
        }
        if (cls.equals("TimeDistributed")) {
            String inner = config.path("layer").path("class_name").asText();
            return List.of(path + "/layer/" + (KerasLayers.isRecurrent(inner) ? "cell/vars" : "vars"));
        }
        return List.of(path + "/vars");
    }

    /** Per-container list names: Keras numbers elements of one class dense, dense_1, ... in list order. */
    static final class Counter {
        private final Map<String, Integer> used = new HashMap<>();

        String next(String cls) {
            String base = snake(cls);
            Integer n = used.get(base);
            used.put(base, n == null ? 0 : n + 1);
            return n == null ? base : base + "_" + (n + 1);
        }
    }

    static Result read(JsonNode root, String src) {
        try {
            return readChecked(root, src);
        } catch (NullPointerException | ClassCastException | IndexOutOfBoundsException | NumberFormatException e) {
            // A config missing a key its class needs: the JSON is malformed, not dlkit.
            throw new KerasFormatException(src + ": malformed Keras config (" + e.getMessage() + ")", e);
        }
    }

    private static Result readChecked(JsonNode root, String src) {
        if (root == null || !root.isObject()) {
            throw new KerasFormatException(src + ": expected a Keras model object with \"class_name\" and \"config\"");
        }
        KerasGraph g = new KerasGraph(src);
        String cls = root.path("class_name").asText("");
        if (!MODELS.contains(cls)) {
            throw new KerasFormatException(src + ": class_name " + root.get("class_name") + " is not a Keras model (Sequential or Functional)");
        }
        checkModule(root, src);
        JsonNode config = root.path("config");
        String name = config.path("name").asText(cls.equals("Sequential") ? "sequential" : "functional");
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("format", ModelConfig.FORMAT);
        out.put("version", ModelConfig.VERSION);
        boolean plain = cls.equals("Sequential") && streamLayers(config, src).stream().noneMatch(l -> MODELS.contains(l.path("class_name").asText()));
        if (plain) {
            out.put("type", "Sequential");
            out.put("name", name);
            out.put("dtype", "float32");
            ArrayNode list = out.putArray("layers");
            List<JsonNode> ls = streamLayers(config, src);
            Counter counter = new Counter();
            if (ls.isEmpty() || !ls.get(0).path("class_name").asText().equals("InputLayer")) {
                list.add(g.syntheticInput(config, ls, src));
            }
            for (int i = 0; i < ls.size(); i++) {
                JsonNode l = ls.get(i);
                String where = g.where(i, l);
                checkModule(l, where);
                ObjectNode c = KerasLayers.toDlkit(l, where);
                String lname = g.unique(c.path("name").asText(snake(l.path("class_name").asText())), "");
                c.put("name", lname);
                list.add(c);
                g.layers.put(lname, new Imported(lname, l.path("class_name").asText(), c,
                        varGroups(l.path("class_name").asText(), l.path("config"), "layers/" + counter.next(l.path("class_name").asText())), List.of(),
                        l.path("config").path("name").asText(null), l.path("config").path("name").asText(null)));
            }
            return new Result(out, g.layers);
        }
        out.put("type", "Functional");
        out.put("name", name);
        out.put("dtype", "float32");
        List<String> inputs = new ArrayList<>();
        List<String> outputs = g.callModel(root, "", null, inputs, src);
        ArrayNode list = out.putArray("layers");
        for (Imported l : g.layers.values()) {
            if (!l.calls().isEmpty()) {
                l.config().set("inputs", Json.MAPPER.valueToTree(l.calls().size() == 1 ? l.calls().get(0) : l.calls()));
            }
            list.add(l.config());
        }
        out.set("inputs", Json.MAPPER.valueToTree(inputs));
        out.set("outputs", Json.MAPPER.valueToTree(outputs));
        return new Result(out, g.layers);
    }

    private static void checkModule(JsonNode obj, String where) {
        String module = obj.path("module").asText("keras");
        if (!module.equals("keras") && !module.startsWith("keras.")) {
            throw new KerasFormatException(where + ": module \"" + module + "\" is outside Keras; dlkit loads Keras' own layers only and never code from a file");
        }
        if (obj.hasNonNull("registered_name") && !obj.get("registered_name").asText().equals(obj.path("class_name").asText())) {
            throw new KerasFormatException(where + ": registered_name \"" + obj.get("registered_name").asText()
                    + "\" is a custom object; dlkit loads Keras' own layers only");
        }
    }

    private static List<JsonNode> streamLayers(JsonNode config, String src) {
        JsonNode ls = config.get("layers");
        if (ls == null || !ls.isArray()) {
            throw new KerasFormatException(src + ": model config has no \"layers\" list");
        }
        List<JsonNode> out = new ArrayList<>();
        ls.forEach(out::add);
        return out;
    }

    private String where(int index, JsonNode l) {
        return src + ": layers[" + index + "] (name \"" + l.path("config").path("name").asText("?") + "\", class_name "
                + l.path("class_name") + ")";
    }

    /** A Sequential saved without an InputLayer: its input shape from build_input_shape or the first layer's build_config. */
    private ObjectNode syntheticInput(JsonNode config, List<JsonNode> ls, String where) {
        JsonNode shape = config.get("build_input_shape");
        if ((shape == null || shape.isNull()) && !ls.isEmpty()) {
            shape = ls.get(0).path("build_config").get("input_shape");
        }
        if (shape == null || !shape.isArray()) {
            throw new KerasFormatException(where + ": the Sequential model has no InputLayer and no build_input_shape; dlkit needs the input shape");
        }
        ObjectNode fake = Json.MAPPER.createObjectNode();
        fake.put("class_name", "InputLayer");
        fake.putObject("config").set("batch_shape", shape);
        ObjectNode in = KerasLayers.toDlkit(fake, where + ": build_input_shape");
        in.put("name", unique("input_layer", ""));
        return in;
    }

    private String unique(String wanted, String scopeName) {
        String n = wanted;
        if (names.contains(n) && !scopeName.isEmpty()) {
            n = scopeName + "_" + wanted;
        }
        String base = n;
        for (int k = 1; names.contains(n); k++) {
            n = base + "_" + k;
        }
        names.add(n);
        return n;
    }

    /**
     * Calls a (possibly nested) model on {@code inputs} (null at the top, where its InputLayers become dlkit Inputs,
     * named into {@code topInputs}); returns the dlkit tensors of its outputs.
     */
    private List<String> callModel(JsonNode model, String path, List<String> inputs, List<String> topInputs, String where) {
        String cls = model.path("class_name").asText();
        JsonNode config = model.path("config");
        String scopeName = config.path("name").asText("");
        List<JsonNode> ls = streamLayers(config, where);
        Counter counter = new Counter();
        List<String> paths = new ArrayList<>();
        for (JsonNode l : ls) {
            paths.add(path + "layers/" + counter.next(l.path("class_name").asText()));
        }
        if (cls.equals("Sequential")) {
            String current = null;
            int first = 0;
            if (!ls.isEmpty() && ls.get(0).path("class_name").asText().equals("InputLayer")) {
                first = 1;
                if (inputs == null) {
                    current = inputLayer(ls.get(0), where(0, ls.get(0)), path, scopeName);
                    topInputs.add(current);
                }
            } else if (inputs == null) {
                ObjectNode in = syntheticInput(config, ls, where);
                layers.put(in.get("name").asText(), new Imported(in.get("name").asText(), "InputLayer", in, List.of(), List.of(), null, null));
                current = in.get("name").asText();
                topInputs.add(current);
            }
            if (inputs != null) {
                if (inputs.size() != 1) {
                    throw new KerasFormatException(where + ": a nested Sequential takes one input, given " + inputs.size());
                }
                current = inputs.get(0);
            }
            for (int i = first; i < ls.size(); i++) {
                JsonNode l = ls.get(i);
                String lw = where(i, l);
                checkModule(l, lw);
                if (MODELS.contains(l.path("class_name").asText())) {
                    List<String> out = nested(l, path, paths.get(i), List.of(current), topInputs, lw);
                    if (out.size() != 1) {
                        throw new KerasFormatException(lw + ": a model inside a Sequential must have one output, it has " + out.size());
                    }
                    current = out.get(0);
                } else {
                    current = call(l, lw, paths.get(i), scopeName, List.of(current));
                }
            }
            return List.of(current);
        }
        // Functional: nodes run once every tensor they read exists (Keras lists layers in a topological order, but a
        // shared layer's later calls may read layers listed after it).
        Map<String, List<List<String>>> produced = new HashMap<>();
        List<String> inputNames = refNames(config.get("input_layers"), where + ": input_layers");
        for (int i = 0; i < ls.size(); i++) {
            JsonNode l = ls.get(i);
            if (l.path("class_name").asText().equals("InputLayer")) {
                String kname = l.path("config").path("name").asText(l.path("name").asText());
                int pos = inputNames.indexOf(kname);
                if (pos < 0) {
                    throw new KerasFormatException(where(i, l) + ": an InputLayer that is not among the model's input_layers " + inputNames);
                }
                String t;
                if (inputs == null) {
                    t = inputLayer(l, where(i, l), path, scopeName);
                } else {
                    if (inputs.size() != inputNames.size()) {
                        throw new KerasFormatException(where + ": the nested model takes " + inputNames.size() + " inputs, given " + inputs.size());
                    }
                    t = inputs.get(pos);
                }
                produced.put(kname, List.of(List.of(t)));
            }
        }
        if (inputs == null) {
            for (String n : inputNames) {
                topInputs.add(produced.getOrDefault(n, List.of(List.of(n))).get(0).get(0));
            }
        }
        int[] done = new int[ls.size()];
        boolean progress = true;
        while (progress) {
            progress = false;
            for (int i = 0; i < ls.size(); i++) {
                JsonNode l = ls.get(i);
                if (l.path("class_name").asText().equals("InputLayer")) {
                    continue;
                }
                JsonNode nodes = l.path("inbound_nodes");
                String kname = l.path("name").asText(l.path("config").path("name").asText());
                while (done[i] < nodes.size()) {
                    JsonNode node = nodes.get(done[i]);
                    String lw = where(i, l) + " call " + done[i];
                    List<String> in = resolve(node, produced, lw);
                    if (in == null) {
                        break;
                    }
                    checkModule(l, lw);
                    List<String> outs = new ArrayList<>();
                    if (MODELS.contains(l.path("class_name").asText())) {
                        outs.addAll(nested(l, path, paths.get(i), in, topInputs, lw));
                    } else {
                        String base = call(l, lw, paths.get(i), scopeName, in);
                        for (int t = 0; t < 3; t++) {
                            outs.add(t == 0 ? base : base + "#" + t);
                        }
                    }
                    produced.computeIfAbsent(kname, k -> new ArrayList<>()).add(outs);
                    done[i]++;
                    progress = true;
                }
            }
        }
        for (int i = 0; i < ls.size(); i++) {
            if (!ls.get(i).path("class_name").asText().equals("InputLayer") && done[i] < ls.get(i).path("inbound_nodes").size()) {
                throw new KerasFormatException(where(i, ls.get(i)) + ": call " + done[i] + " reads a tensor no layer produces (or the graph has a cycle)");
            }
        }
        List<String> outputs = new ArrayList<>();
        JsonNode outs = config.get("output_layers");
        for (JsonNode ref : refs(outs, where + ": output_layers")) {
            outputs.add(tensor(ref, produced, where + ": output_layers"));
        }
        return outputs;
    }

    private List<String> nested(JsonNode l, String path, String layerPath, List<String> in, List<String> topInputs, String where) {
        boolean top = path.isEmpty();
        if (top) {
            topName = l.path("config").path("name").asText(l.path("name").asText(null));
        }
        try {
            return callModel(l, layerPath + "/", in, topInputs, where);
        } finally {
            if (top) {
                topName = null;
            }
        }
    }

    private String inputLayer(JsonNode l, String where, String path, String scopeName) {
        ObjectNode c = KerasLayers.toDlkit(l, where);
        String n = unique(c.path("name").asText("input_layer"), path.isEmpty() ? "" : scopeName);
        c.put("name", n);
        layers.put(n, new Imported(n, "InputLayer", c, List.of(), List.of(), null, null));
        return n;
    }

    /** Adds a call of Keras layer {@code l} (created on its first call) and returns the dlkit name of its output. */
    private String call(JsonNode l, String where, String layerPath, String scopeName, List<String> inputs) {
        String key = layerPath;
        String name = created.get(key);
        if (name == null) {
            ObjectNode c = KerasLayers.toDlkit(l, where);
            String cls = l.path("class_name").asText();
            name = unique(c.path("name").asText(snake(cls)), scopeName);
            c.put("name", name);
            created.put(key, name);
            layers.put(name, new Imported(name, cls, c, varGroups(cls, l.path("config"), layerPath), new ArrayList<>(),
                    l.path("config").path("name").asText(l.path("name").asText(null)), topName != null ? topName : l.path("config").path("name").asText(null)));
        }
        List<List<String>> calls = layers.get(name).calls();
        calls.add(List.copyOf(inputs));
        int k = calls.size() - 1;
        return k == 0 ? name : name + ":" + k;
    }

    /** The dlkit tensors a node reads: its first argument (a tensor or a list of them) and an RNN's initial_state. */
    private List<String> resolve(JsonNode node, Map<String, List<List<String>>> produced, String where) {
        List<JsonNode> refs = new ArrayList<>();
        if (node.isArray()) {
            return resolveLegacy(node, produced, where);
        }
        JsonNode args = node.path("args");
        if (!args.isArray() || args.isEmpty()) {
            throw new KerasFormatException(where + ": expected \"args\" with the call's input tensors, got " + args);
        }
        collect(args.get(0), refs, where);
        for (int a = 1; a < args.size(); a++) {
            if (!args.get(a).isNull()) {
                throw new KerasFormatException(where + ": a call with more than one positional argument is not supported (" + args.get(a) + ")");
            }
        }
        for (var it = node.path("kwargs").fields(); it.hasNext(); ) {
            var e = it.next();
            switch (e.getKey()) {
                case "initial_state" -> collect(e.getValue(), refs, where);
                case "mask", "training" -> {
                    if (!e.getValue().isNull() && !e.getValue().isBoolean()) {
                        throw new KerasFormatException(where + ": call argument " + e.getKey() + " from a tensor is not supported");
                    }
                }
                default -> throw new KerasFormatException(where + ": call argument \"" + e.getKey() + "\" is not supported");
            }
        }
        List<String> out = new ArrayList<>();
        for (JsonNode r : refs) {
            JsonNode h = r.path("config").path("keras_history");
            List<List<String>> p = produced.get(h.path(0).asText());
            if (p == null || h.path(1).asInt() >= p.size()) {
                return null;
            }
            out.add(tensor(h, produced, where));
        }
        return out;
    }

    /** Keras 2's node format, still in legacy .h5 files: {@code [[layer, node, tensor, kwargs], ...]}. */
    private static List<String> resolveLegacy(JsonNode node, Map<String, List<List<String>>> produced, String where) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : node) {
            if (!r.isArray() || r.size() < 3) {
                throw new KerasFormatException(where + ": expected [layer, node, tensor, kwargs], got " + r);
            }
            if (r.size() > 3 && r.get(3).isObject() && !r.get(3).isEmpty()) {
                throw new KerasFormatException(where + ": call arguments " + r.get(3) + " are not supported");
            }
            List<List<String>> p = produced.get(r.path(0).asText());
            if (p == null || r.path(1).asInt() >= p.size()) {
                return null;
            }
            out.add(tensor(r, produced, where));
        }
        return out;
    }

    private static void collect(JsonNode v, List<JsonNode> refs, String where) {
        if (v.isArray()) {
            v.forEach(x -> collect(x, refs, where));
        } else if (v.isObject() && v.path("class_name").asText().equals("__keras_tensor__")) {
            refs.add(v);
        } else {
            throw new KerasFormatException(where + ": expected a Keras tensor reference, got " + v);
        }
    }

    private static String tensor(JsonNode history, Map<String, List<List<String>>> produced, String where) {
        List<List<String>> p = produced.get(history.path(0).asText());
        int node = history.path(1).asInt(-1);
        int t = history.path(2).asInt(-1);
        if (p == null || node < 0 || node >= p.size() || t < 0 || t >= p.get(node).size()) {
            throw new KerasFormatException(where + ": tensor " + history + " names no layer output of this model");
        }
        return p.get(node).get(t);
    }

    private static List<JsonNode> refs(JsonNode list, String where) {
        if (list == null || !list.isArray() || list.isEmpty()) {
            throw new KerasFormatException(where + ": expected a list of [layer, node, tensor] references, got " + list);
        }
        List<JsonNode> out = new ArrayList<>();
        if (list.get(0).isTextual()) {
            out.add(list);
        } else {
            list.forEach(out::add);
        }
        return out;
    }

    private static List<String> refNames(JsonNode list, String where) {
        return refs(list, where).stream().map(r -> r.path(0).asText()).toList();
    }
}
