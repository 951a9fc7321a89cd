package dlkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.ResourceException;
import dlkit.config.Json;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.SymbolicTensor;
import dlkit.layers.registry.LayerRegistry;
import dlkit.tensor.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a functional model's graph from JSON: every layer has a unique {@code name}; a layer's {@code inputs} lists
 * the tensors of its call (["a", "b"]) or, for a layer called several times (shared weights), one list per call
 * ([["a"], ["b"]]); a tensor is named by the layer that produced it, {@code name:k} for the k-th call (from 0).
 * The model's {@code inputs} name its Input layers and {@code outputs} its output tensors.
 */
final class FunctionalConfig {
    private final JsonNode layersNode;
    private final String layersPath;
    private final Map<String, Integer> index = new LinkedHashMap<>();
    private final List<Layer> layers = new ArrayList<>();
    private final List<List<List<String>>> calls = new ArrayList<>();
    private final Map<String, SymbolicTensor> built = new HashMap<>();
    private final List<String> visiting = new ArrayList<>();
    /** Layers with {@code "trainable": false}. */
    private final java.util.Set<String> frozen = new java.util.LinkedHashSet<>();

    private FunctionalConfig(JsonNode layersNode, String layersPath) {
        this.layersNode = layersNode;
        this.layersPath = layersPath;
    }

    static Model read(JsonNode node, String path, String name, DType dtype) {
        String lp = Json.join(path, "layers");
        FunctionalConfig g = new FunctionalConfig(node.get("layers"), lp);
        g.parseLayers();
        List<SymbolicTensor> inputs = new ArrayList<>();
        String ip = Json.join(path, "inputs");
        for (String ref : g.names(node.get("inputs"), ip)) {
            Integer i = g.index.get(ref);
            if (i == null || !(g.layers.get(i) instanceof Input in)) {
                throw new ConfigException(ip, "\"" + ref + "\" is not an Input layer of this model; the Inputs are " + g.inputNames());
            }
            inputs.add(in);
        }
        List<SymbolicTensor> outputs = new ArrayList<>();
        String op = Json.join(path, "outputs");
        List<String> outNames = g.names(node.get("outputs"), op);
        for (String ref : outNames) {
            outputs.add(g.tensor(ref, op));
        }
        for (int i = 0; i < g.layers.size(); i++) {
            for (int c = 0; c < g.calls.get(i).size(); c++) {
                String t = g.layers.get(i).name() + (c > 0 ? ":" + c : "");
                if (!g.built.containsKey(t)) {
                    throw new ConfigException(lp + "[" + i + "]", "layer '" + g.layers.get(i).name() + "'" + (c > 0 ? " (call " + c + ")" : "")
                            + " does not lead to any output " + outNames + ": connect it or remove it");
                }
            }
        }
        try {
            return new Model(name, Graph.of(inputs, outputs), dtype, g.frozen);
        } catch (ResourceException e) {
            Integer i = e.layer() == null ? null : g.index.get(e.layer());
            throw new ConfigException(i == null ? path : lp + "[" + i + "]", e.getMessage(), e);
        } catch (DlkitException e) {
            throw new ConfigException(path, e.getMessage(), e);
        }
    }

    private List<String> inputNames() {
        return layers.stream().filter(l -> l instanceof Input).map(Layer::name).toList();
    }

    private void parseLayers() {
        if (layersNode == null || !layersNode.isArray() || layersNode.isEmpty()) {
            throw new ConfigException(layersPath, "expected a non-empty list of layers");
        }
        for (int i = 0; i < layersNode.size(); i++) {
            String p = layersPath + "[" + i + "]";
            JsonNode l = layersNode.get(i);
            if (!l.isObject()) {
                throw new ConfigException(p, "expected a layer object, got " + l);
            }
            ObjectNode config = ((ObjectNode) l).deepCopy();
            JsonNode in = config.remove("inputs");
            boolean trainable = ModelConfig.trainable(config, p);
            Layer layer = LayerRegistry.fromJson(config, p);
            if (!trainable) {
                frozen.add(layer.name());
            }
            if (layer.name() == null || layer.name().isEmpty()) {
                throw new ConfigException(p, "every layer of a Functional model needs a \"name\": other layers refer to it by name");
            }
            if (layer.name().contains(":") || layer.name().contains("#")) {
                throw new ConfigException(Json.join(p, "name"), "\"" + layer.name() + "\" contains ':' or '#', which mark a shared layer's later calls"
                        + " (\"dense:1\") and a layer's further outputs (\"lstm#1\")");
            }
            Integer dup = index.put(layer.name(), i);
            if (dup != null) {
                throw new ConfigException(Json.join(p, "name"), "duplicate layer name \"" + layer.name() + "\" (also " + layersPath + "[" + dup + "])");
            }
            layers.add(layer);
            List<List<String>> cs = new ArrayList<>();
            if (layer instanceof Input) {
                if (in != null) {
                    throw new ConfigException(Json.join(p, "inputs"), "an Input takes no inputs");
                }
            } else {
                String ip = Json.join(p, "inputs");
                if (in == null || !in.isArray() || in.isEmpty()) {
                    throw new ConfigException(ip, "expected the names of the tensors this layer is applied to, e.g. [\"input\"], got "
                            + (in == null ? "nothing" : in));
                }
                boolean nested = in.get(0).isArray();
                for (int c = 0; c < (nested ? in.size() : 1); c++) {
                    JsonNode call = nested ? in.get(c) : in;
                    String cp = nested ? ip + "[" + c + "]" : ip;
                    if (!call.isArray() || (!nested && in.get(0).isArray())) {
                        throw new ConfigException(cp, "expected a list of tensor names (or one such list per call), got " + call);
                    }
                    cs.add(names(call, cp));
                }
            }
            calls.add(cs);
        }
    }

    private List<String> names(JsonNode node, String path) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new ConfigException(path, "expected a non-empty list of names, got " + (node == null ? "nothing" : node));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            if (!node.get(i).isTextual()) {
                throw new ConfigException(path + "[" + i + "]", "expected a tensor name (a layer's name, \"name:1\" for its second call), got " + node.get(i));
            }
            out.add(node.get(i).asText());
        }
        return out;
    }

    /** The tensor {@code ref} names, building the calls it depends on first. */
    private SymbolicTensor tensor(String ref, String path) {
        SymbolicTensor t = built.get(ref);
        if (t != null) {
            return t;
        }
        int hash = ref.lastIndexOf('#');
        String callRef = hash < 0 ? ref : ref.substring(0, hash);
        int outIndex = hash < 0 ? 0 : parseIndex(ref.substring(hash + 1));
        int colon = callRef.lastIndexOf(':');
        String layerName = colon < 0 ? callRef : callRef.substring(0, colon);
        int call = colon < 0 ? 0 : parseIndex(callRef.substring(colon + 1));
        Integer i = index.get(layerName);
        if (i == null) {
            String hint = Json.suggest(layerName, index.keySet());
            throw new ConfigException(path, "unknown layer \"" + layerName + "\"" + (hint != null ? "; did you mean \"" + hint + "\"?" : "")
                    + " (the layers are " + index.keySet() + ")");
        }
        Layer layer = layers.get(i);
        if (layer instanceof Input in) {
            if (colon >= 0 || hash >= 0) {
                throw new ConfigException(path, "\"" + ref + "\": an Input has one tensor, named \"" + layerName + "\"");
            }
            built.put(ref, in);
            return in;
        }
        List<List<String>> cs = calls.get(i);
        if (call < 0 || call >= cs.size()) {
            throw new ConfigException(path, "\"" + ref + "\": layer '" + layerName + "' is called " + cs.size() + " time(s), so its tensors are "
                    + (cs.size() == 1 ? "\"" + layerName + "\"" : "\"" + layerName + "\" to \"" + layerName + ":" + (cs.size() - 1) + "\""));
        }
        String key = layerName + (call > 0 ? ":" + call : "");
        if (visiting.contains(key)) {
            List<String> cycle = new ArrayList<>(visiting.subList(visiting.indexOf(key), visiting.size()));
            cycle.add(key);
            throw new ConfigException(layersPath + "[" + i + "].inputs", "the graph has a cycle: " + String.join(" -> ", cycle));
        }
        visiting.add(key);
        String ip = layersPath + "[" + i + "].inputs" + (cs.size() > 1 ? "[" + call + "]" : "");
        List<SymbolicTensor> args = new ArrayList<>();
        for (int k = 0; k < cs.get(call).size(); k++) {
            args.add(tensor(cs.get(call).get(k), ip + "[" + k + "]"));
        }
        visiting.remove(visiting.size() - 1);
        List<dlkit.layers.LayerCall> outs;
        try {
            outs = layer.applyAll(args);
        } catch (DlkitException e) {
            throw new ConfigException(layersPath + "[" + i + "]", e.getMessage(), e);
        }
        for (int k = 0; k < outs.size(); k++) {
            String name = key + (k > 0 ? "#" + k : "");
            built.put(name, outs.get(k));
            built.put(key + "#" + k, outs.get(k));
            if (call == 0) {
                built.put(layerName + ":0" + (k > 0 ? "#" + k : ""), outs.get(k));
            }
        }
        if (outIndex < 0 || outIndex >= outs.size()) {
            throw new ConfigException(path, "\"" + ref + "\": layer '" + layerName + "' has " + outs.size() + " output(s)"
                    + (outs.size() > 1 ? ", \"" + key + "\" to \"" + key + "#" + (outs.size() - 1) + "\"" : ""));
        }
        return outs.get(outIndex);
    }

    private static int parseIndex(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
