package dlkit.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.ResourceException;
import dlkit.config.Json;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.registry.LayerRegistry;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.optim.Optimizer;
import dlkit.optim.Optimizers;
import dlkit.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/**
 * The versioned JSON model config:
 * <pre>{"format": "dlkit-model", "version": 1, "type": "Sequential", "name": "mlp", "dtype": "float32",
 *  "layers": [{"type": "Input", "shape": [784]}, {"type": "Dense", "units": 10, ...}],
 *  "compile": {"optimizer": {"type": "adam", ...}, "loss": "...", "metrics": ["accuracy"]}}</pre>
 * Written with every key, so config → model → config is identical; read with Keras' defaults for keys left out.
 */
public final class ModelConfig {
    public static final String FORMAT = "dlkit-model";
    public static final int VERSION = 1;
    private static final Set<String> KEYS = Set.of("format", "version", "type", "name", "dtype", "layers", "compile");
    private static final Set<String> FUNCTIONAL_KEYS = Set.of("format", "version", "type", "name", "dtype", "layers", "inputs", "outputs", "compile");
    private static final Set<String> COMPILE_KEYS = Set.of("optimizer", "loss", "loss_weights", "metrics");

    private ModelConfig() {}

    public static @NonNull ObjectNode toNode(@NonNull Model model) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("type", model.modelType());
        root.put("name", model.name());
        root.put("dtype", model.dtype().jsonName());
        ArrayNode layers = root.putArray("layers");
        for (int i = 0; i < model.layers().size(); i++) {
            ObjectNode l = LayerRegistry.toJson(model.layers().get(i));
            if (model.isFrozen(i)) {
                l.put("trainable", false);
            }
            if (model.isFunctional() && !(model.layers().get(i) instanceof Input)) {
                List<List<String>> calls = model.callInputs(i);
                l.set("inputs", Json.MAPPER.valueToTree(calls.size() == 1 ? calls.get(0) : calls));
            }
            layers.add(l);
        }
        if (model.isFunctional()) {
            root.set("inputs", Json.MAPPER.valueToTree(model.inputNames()));
            root.set("outputs", Json.MAPPER.valueToTree(model.outputNames()));
        }
        if (model.isCompiled()) {
            ObjectNode c = root.putObject("compile");
            c.set("optimizer", Optimizers.toJson(model.optimizer()));
            List<String> outs = model.outputNames();
            if (outs.size() == 1) {
                c.set("loss", Json.MAPPER.valueToTree(model.loss()));
                ArrayNode m = c.putArray("metrics");
                model.metrics().forEach(x -> m.add(Json.MAPPER.valueToTree(x)));
            } else {
                ObjectNode loss = c.putObject("loss");
                ObjectNode weights = c.putObject("loss_weights");
                ObjectNode metrics = c.putObject("metrics");
                for (int o = 0; o < outs.size(); o++) {
                    loss.set(outs.get(o), Json.MAPPER.valueToTree(model.losses().get(o)));
                    weights.put(outs.get(o), model.lossWeights().get(o));
                    ArrayNode m = metrics.putArray(outs.get(o));
                    model.outputMetrics().get(o).forEach(x -> m.add(Json.MAPPER.valueToTree(x)));
                }
            }
        }
        return root;
    }

    public static @NonNull String toJson(@NonNull Model model) {
        try {
            return Json.MAPPER.writeValueAsString(toNode(model)) + "\n";
        } catch (JsonProcessingException e) {
            throw new DlkitException("cannot write model config: " + e.getMessage(), e);
        }
    }

    public static @NonNull Model fromJson(@NonNull String json, @NonNull String source) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new ConfigException(null, source + ": malformed JSON" + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "")
                    + ": " + e.getOriginalMessage());
        }
        return fromNode(node, "");
    }

    /** Builds (and compiles, when there is a {@code compile} section) the model at JSON path {@code path}. */
    public static @NonNull Model fromNode(@NonNull JsonNode node, @NonNull String path) {
        if (node == null || !node.isObject()) {
            throw new ConfigException(path, "expected a model object with \"layers\"");
        }
        String type = node.path("type").asText("Sequential");
        Json.checkKeys(node, type.equals("Functional") ? FUNCTIONAL_KEYS : KEYS, path);
        if (node.has("format") && !FORMAT.equals(node.get("format").asText())) {
            throw new ConfigException(Json.join(path, "format"), "expected \"" + FORMAT + "\", got " + node.get("format"));
        }
        if (node.has("version")) {
            int v = Json.integer(node.get("version"), Json.join(path, "version"), 1, Integer.MAX_VALUE, "a positive integer");
            if (v > VERSION) {
                throw new ConfigException(Json.join(path, "version"), "this file is format version " + v
                        + " but this dlkit reads up to version " + VERSION + "; upgrade dlkit");
            }
        }
        if (!type.equals("Sequential") && !type.equals("Functional")) {
            throw new ConfigException(Json.join(path, "type"), "unknown model type \"" + type + "\"; expected \"Sequential\" or \"Functional\"");
        }
        String name = node.path("name").asText(type.equals("Functional") ? "functional" : "sequential");
        DType dtype = DType.FLOAT32;
        if (node.has("dtype")) {
            String d = node.get("dtype").asText();
            dtype = switch (d) {
                case "float32" -> DType.FLOAT32;
                case "float64" -> DType.FLOAT64;
                default -> throw new ConfigException(Json.join(path, "dtype"), "expected \"float32\" or \"float64\", got " + node.get("dtype"));
            };
        }
        JsonNode layersNode = node.get("layers");
        String lp = Json.join(path, "layers");
        if (layersNode == null || !layersNode.isArray() || layersNode.isEmpty()) {
            throw new ConfigException(lp, "expected a non-empty list of layers, starting with {\"type\": \"Input\", \"shape\": [...]}");
        }
        if (type.equals("Functional")) {
            Model model = FunctionalConfig.read(node, path, name, dtype);
            if (node.has("compile")) {
                applyCompile(model, node.get("compile"), Json.join(path, "compile"));
            }
            return model;
        }
        List<Layer> layers = new ArrayList<>();
        List<Integer> frozenAt = new ArrayList<>();
        for (int i = 0; i < layersNode.size(); i++) {
            JsonNode l = layersNode.get(i);
            if (l.isObject()) {
                l = l.deepCopy();
                if (!trainable((ObjectNode) l, lp + "[" + i + "]")) {
                    frozenAt.add(i);
                }
            }
            layers.add(LayerRegistry.fromJson(l, lp + "[" + i + "]"));
        }
        // frozen layers by the names the model gives them (unnamed layers get theirs from their type and position)
        List<Layer> named = Graph.named(layers);
        Set<String> frozen = new java.util.LinkedHashSet<>();
        frozenAt.forEach(i -> frozen.add(named.get(i).name()));
        if (!layers.get(0).type().equals("Input")) {
            throw new ConfigException(lp + "[0].type", "the first layer must be an Input declaring the sample shape, got \"" + layers.get(0).type() + "\"");
        }
        Model model;
        try {
            model = new Sequential(name, layers, dtype, frozen);
        } catch (ResourceException e) {
            throw new ConfigException(e.layerIndex() >= 0 ? lp + "[" + e.layerIndex() + "]" : lp, e.getMessage(), e);
        } catch (DlkitException e) {
            if (e instanceof ConfigException c) {
                throw c;
            }
            throw new ConfigException(lp, e.getMessage(), e);
        }
        if (node.has("compile")) {
            applyCompile(model, node.get("compile"), Json.join(path, "compile"));
        }
        return model;
    }

    /** Takes Keras' per-layer {@code "trainable"} off a layer object: false freezes the layer (see {@link Model#freeze}). */
    static boolean trainable(ObjectNode layer, String path) {
        JsonNode t = layer.remove("trainable");
        if (t == null) {
            return true;
        }
        if (!t.isBoolean()) {
            throw new ConfigException(Json.join(path, "trainable"), "expected true or false, got " + t);
        }
        return t.asBoolean();
    }

    public static void applyCompile(@NonNull Model model, @NonNull JsonNode c, @NonNull String cp) {
        if (!c.isObject()) {
            throw new ConfigException(cp, "expected an object with \"optimizer\", \"loss\" and \"metrics\"");
        }
        Json.checkKeys(c, COMPILE_KEYS, cp);
        if (!c.has("loss")) {
            throw new ConfigException(cp, "missing required key \"loss\"");
        }
        Optimizer opt = c.has("optimizer") ? Optimizers.fromJson(c.get("optimizer"), Json.join(cp, "optimizer"))
                : Optimizers.fromJson(Json.MAPPER.getNodeFactory().textNode("rmsprop"), Json.join(cp, "optimizer"));
        List<String> outs = model.outputNames();
        List<Loss> losses = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        List<List<Metric>> metrics = new ArrayList<>();
        for (String out : outs) {
            String lp = Json.join(cp, "loss");
            JsonNode l = perOutput(c.get("loss"), out, outs, lp, true);
            losses.add(Json.read(l, Loss.class, l == c.get("loss") ? lp : Json.join(lp, out)));
            String wp = Json.join(cp, "loss_weights");
            JsonNode w = c.has("loss_weights") ? perOutput(c.get("loss_weights"), out, outs, wp, false) : null;
            if (w != null && !w.isNumber()) {
                throw new ConfigException(w == c.get("loss_weights") ? wp : Json.join(wp, out), "expected a number, got " + w);
            }
            weights.add(w == null ? 1.0 : w.asDouble());
            List<Metric> ms = new ArrayList<>();
            String mp = Json.join(cp, "metrics");
            JsonNode m = c.has("metrics") ? perOutput(c.get("metrics"), out, outs, mp, false) : null;
            if (m != null) {
                String at = m == c.get("metrics") ? mp : Json.join(mp, out);
                if (!m.isArray()) {
                    throw new ConfigException(at, "expected a list such as [\"accuracy\"], got " + m);
                }
                for (int i = 0; i < m.size(); i++) {
                    ms.add(Json.read(m.get(i), Metric.class, at + "[" + i + "]"));
                }
            }
            metrics.add(ms);
        }
        try {
            model.compile(opt, losses, weights, metrics);
        } catch (DlkitException e) {
            throw new ConfigException(cp, e.getMessage(), e);
        }
    }

    /**
     * A compile setting for one output: the value itself, or (for a model with several outputs) its entry in an
     * object keyed by output name. Unknown names are errors; a missing name is an error only when {@code required}.
     */
    private static JsonNode perOutput(JsonNode v, String out, List<String> outs, String path, boolean required) {
        if (!v.isObject() || (v.has("type") && !outs.contains("type"))) {
            return v;
        }
        Json.checkKeys(v, new java.util.LinkedHashSet<>(outs), path);
        JsonNode e = v.get(out);
        if (e == null && required) {
            throw new ConfigException(path, "missing an entry for output \"" + out + "\" (the outputs are " + outs + ")");
        }
        return e;
    }
}
