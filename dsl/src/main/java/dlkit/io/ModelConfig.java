package dlkit.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.layers.Layer;
import dlkit.layers.LayerRegistry;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.optim.Optimizer;
import dlkit.optim.Optimizers;
import dlkit.tensor.DType;
import java.util.ArrayList;
import java.util.Iterator;
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
    private static final Set<String> COMPILE_KEYS = Set.of("optimizer", "loss", "metrics");

    private ModelConfig() {}

    public static @NonNull ObjectNode toNode(@NonNull Model model) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("type", model.modelType());
        root.put("name", model.name());
        root.put("dtype", model.dtype().jsonName());
        ArrayNode layers = root.putArray("layers");
        for (Layer l : model.layers()) {
            layers.add(LayerRegistry.toJson(l));
        }
        if (model.isCompiled()) {
            ObjectNode c = root.putObject("compile");
            c.set("optimizer", Optimizers.toJson(model.optimizer()));
            c.set("loss", Json.MAPPER.valueToTree(model.loss()));
            ArrayNode m = c.putArray("metrics");
            model.metrics().forEach(x -> m.add(Json.MAPPER.valueToTree(x)));
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
        checkKeys(node, KEYS, path);
        if (node.has("format") && !FORMAT.equals(node.get("format").asText())) {
            throw new ConfigException(Json.join(path, "format"), "expected \"" + FORMAT + "\", got " + node.get("format"));
        }
        if (node.has("version")) {
            JsonNode v = node.get("version");
            if (!v.canConvertToExactIntegral() || v.asInt() < 1) {
                throw new ConfigException(Json.join(path, "version"), "expected a positive integer, got " + v);
            }
            if (v.asInt() > VERSION) {
                throw new ConfigException(Json.join(path, "version"), "this file is format version " + v.asInt()
                        + " but this dlkit reads up to version " + VERSION + "; upgrade dlkit");
            }
        }
        String type = node.path("type").asText("Sequential");
        if (!type.equals("Sequential")) {
            throw new ConfigException(Json.join(path, "type"), "unknown model type \"" + type + "\"; expected \"Sequential\"");
        }
        String name = node.path("name").asText("sequential");
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
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < layersNode.size(); i++) {
            layers.add(LayerRegistry.fromJson(layersNode.get(i), lp + "[" + i + "]"));
        }
        if (!layers.get(0).type().equals("Input")) {
            throw new ConfigException(lp + "[0].type", "the first layer must be an Input declaring the sample shape, got \"" + layers.get(0).type() + "\"");
        }
        Model model;
        try {
            model = new Sequential(name, layers, dtype);
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

    public static void applyCompile(@NonNull Model model, @NonNull JsonNode c, @NonNull String cp) {
        if (!c.isObject()) {
            throw new ConfigException(cp, "expected an object with \"optimizer\", \"loss\" and \"metrics\"");
        }
        checkKeys(c, COMPILE_KEYS, cp);
        if (!c.has("loss")) {
            throw new ConfigException(cp, "missing required key \"loss\"");
        }
        Optimizer opt = c.has("optimizer") ? Optimizers.fromJson(c.get("optimizer"), Json.join(cp, "optimizer"))
                : Optimizers.fromJson(Json.MAPPER.getNodeFactory().textNode("rmsprop"), Json.join(cp, "optimizer"));
        Loss loss = Json.read(c.get("loss"), Loss.class, Json.join(cp, "loss"));
        List<Metric> metrics = new ArrayList<>();
        if (c.has("metrics")) {
            JsonNode m = c.get("metrics");
            if (!m.isArray()) {
                throw new ConfigException(Json.join(cp, "metrics"), "expected a list such as [\"accuracy\"], got " + m);
            }
            for (int i = 0; i < m.size(); i++) {
                metrics.add(Json.read(m.get(i), Metric.class, Json.join(cp, "metrics") + "[" + i + "]"));
            }
        }
        try {
            model.compile(opt, loss, metrics);
        } catch (DlkitException e) {
            throw new ConfigException(cp, e.getMessage(), e);
        }
    }

    public static void checkKeys(@NonNull JsonNode node, @NonNull Set<String> known, @NonNull String path) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                String hint = Json.suggest(f, known);
                throw new ConfigException(Json.join(path, f), "unknown key" + (hint != null ? "; did you mean \"" + hint + "\"?" : "")
                        + " (known keys: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }
}
