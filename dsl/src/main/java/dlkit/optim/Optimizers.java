package dlkit.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;

/**
 * Optimizers in JSON: {@code {"type": "adam", "learning_rate": 0.001, "beta_1": 0.9, ..., "clipnorm": 1.0}}, or just
 * {@code "adam"} for the defaults. Keys left out take Keras' defaults; unknown keys are errors.
 */
public final class Optimizers {
    private static final Map<String, Optimizer> DEFAULTS = new LinkedHashMap<>();

    static {
        for (Optimizer o : List.of(Sgd.of(), Adam.of(), AdamW.of(0.001), Nadam.of(0.001), RmsProp.of(0.001),
                AdaGrad.of(0.001), AdaDelta.of(0.001), AdaMax.of(0.001))) {
            DEFAULTS.put(o.type(), o);
        }
    }

    private Optimizers() {}

    public static @NonNull List<String> types() {
        return List.copyOf(DEFAULTS.keySet());
    }

    public static @NonNull ObjectNode toJson(@NonNull Optimizer o) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", o.type());
        ObjectNode fields = Json.MAPPER.valueToTree(o);
        JsonNode clip = fields.remove("clipping");
        node.setAll(fields);
        if (clip != null) {
            clip.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    node.set(e.getKey(), e.getValue());
                }
            });
        }
        return node;
    }

    public static @NonNull Optimizer fromJson(@NonNull JsonNode node, @NonNull String path) {
        if (node.isTextual()) {
            node = Json.MAPPER.createObjectNode().put("type", node.asText());
        }
        if (!node.isObject() || !node.path("type").isTextual()) {
            throw new ConfigException(path, "expected an optimizer name such as \"adam\" or an object with \"type\"");
        }
        String type = node.get("type").asText().toLowerCase();
        Optimizer defaults = DEFAULTS.get(type);
        if (defaults == null) {
            String hint = Json.suggest(type, types());
            throw new ConfigException(path + ".type", "unknown optimizer \"" + node.get("type").asText() + "\""
                    + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + types()));
        }
        ObjectNode merged = toJson(defaults);
        merged.remove("type");
        ObjectNode clip = Json.MAPPER.createObjectNode();
        List<String> known = new ArrayList<>();
        merged.fieldNames().forEachRemaining(known::add);
        known.addAll(List.of("clipnorm", "clipvalue", "global_clipnorm"));
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            String key = f.getKey();
            if (key.equals("type")) {
                continue;
            }
            if (!known.contains(key)) {
                String hint = Json.suggest(key, known);
                throw new ConfigException(path + "." + key, "unknown key for optimizer \"" + type + "\""
                        + (hint != null ? "; did you mean \"" + hint + "\"?" : "") + " (known keys: " + String.join(", ", known) + ")");
            }
            JsonNode v = f.getValue();
            boolean numeric = !key.equals("nesterov");
            if (numeric && (!v.isNumber() || !Double.isFinite(v.asDouble()))) {
                throw new ConfigException(path + "." + key, "expected a finite number, got " + v);
            }
            if (key.startsWith("clip") || key.equals("global_clipnorm")) {
                clip.set(key, v);
            } else {
                merged.set(key, v);
            }
        }
        merged.set("clipping", clip);
        return Json.read(merged, defaults.getClass(), path);
    }
}
