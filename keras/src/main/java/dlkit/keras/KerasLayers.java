package dlkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import dlkit.layers.registry.LayerRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/**
 * One layer's config between Keras 3 ({@code {"module", "class_name", "config"}}) and dlkit ({@code {"type", ...}}).
 * dlkit's layer keys are Keras' own, so most keys pass through; initializers and regularizers change spelling, and
 * Keras keys dlkit has no use for are accepted only at the value that changes nothing (a constraint must be null).
 */
final class KerasLayers {
    /** Keras keys dlkit has no setting for, each with the values that leave the layer as dlkit computes it. */
    private static final Map<String, Set<String>> INERT = Map.ofEntries(
            Map.entry("activity_regularizer", Set.of("null")),
            Map.entry("kernel_constraint", Set.of("null")),
            Map.entry("bias_constraint", Set.of("null")),
            Map.entry("recurrent_constraint", Set.of("null")),
            Map.entry("depthwise_constraint", Set.of("null")),
            Map.entry("embeddings_constraint", Set.of("null")),
            Map.entry("beta_constraint", Set.of("null")),
            Map.entry("gamma_constraint", Set.of("null")),
            Map.entry("quantization_config", Set.of("null")),
            Map.entry("lora_rank", Set.of("null")),
            Map.entry("lora_alpha", Set.of("null")),
            Map.entry("synchronized", Set.of("false")),
            Map.entry("renorm", Set.of("false")),
            Map.entry("renorm_clipping", Set.of("null")),
            Map.entry("renorm_momentum", Set.of("0.99")),
            Map.entry("groups", Set.of("1")),
            Map.entry("data_format", Set.of("\"channels_last\"")),
            Map.entry("noise_shape", Set.of("null")),
            Map.entry("sparse", Set.of("false")),
            Map.entry("ragged", Set.of("false")),
            Map.entry("optional", Set.of("false")),
            // Bidirectional sets it on its layers; dlkit's masked steps repeat the last output (Keras' false), which
            // only differs where a mask meets return_sequences inside a Bidirectional.
            Map.entry("zero_output_for_mask", Set.of("true", "false")),
            Map.entry("use_cudnn", Set.of("\"auto\"", "true", "false")));
    /** Keys that only steer random numbers or are answered elsewhere (dtype by the model, seeds by the run). */
    private static final Set<String> DROPPED = Set.of("name", "dtype", "autocast");
    private static final Set<String> RECURRENT = Set.of("SimpleRNN", "LSTM", "GRU");
    private static final Map<String, String> INITIALIZERS = Map.of(
            "GlorotUniform", "glorot_uniform", "GlorotNormal", "glorot_normal", "HeUniform", "he_uniform",
            "HeNormal", "he_normal", "Zeros", "zeros", "Ones", "ones");

    private KerasLayers() {}

    /** The dlkit type for a Keras class, or null when dlkit has no such layer. */
    static String dlkitType(String className) {
        if (className.equals("InputLayer")) {
            return "Input";
        }
        return LayerRegistry.types().contains(className) && !className.equals("Input") && !className.equals("ResidualBlock") ? className : null;
    }

    /**
     * The dlkit config of a Keras layer object. {@code where} names it in errors (file, index, name, class_name).
     */
    static ObjectNode toDlkit(JsonNode layer, String where) {
        String cls = layer.path("class_name").asText("");
        JsonNode config = layer.path("config");
        String type = dlkitType(cls);
        if (type == null) {
            throw new KerasFormatException(where + ": dlkit has no layer \"" + cls + "\" (its Keras layers: " + supported() + ")");
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("type", type);
        if (config.hasNonNull("name")) {
            out.put("name", config.get("name").asText());
        }
        if (type.equals("Input")) {
            JsonNode shape = config.has("batch_shape") ? config.get("batch_shape") : config.get("batch_input_shape");
            if (shape == null || !shape.isArray() || shape.size() < 2) {
                throw new KerasFormatException(where + ": expected \"batch_shape\" [null, ...] with at least one sample axis, got " + shape);
            }
            ArrayNode s = out.putArray("shape");
            for (int i = 1; i < shape.size(); i++) {
                if (!shape.get(i).canConvertToInt() || shape.get(i).asInt() <= 0) {
                    throw new KerasFormatException(where + ": batch_shape " + shape + ": dlkit needs every axis but the batch axis fixed (axis " + i
                            + " is " + shape.get(i) + ")");
                }
                s.add(shape.get(i).asInt());
            }
            checkDtype(config.get("dtype"), where);
            return out;
        }
        Set<String> keys = new HashSet<>(LayerRegistry.configKeys(type));
        for (var it = config.fields(); it.hasNext(); ) {
            var e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (key.equals("dtype")) {
                checkDtype(v, where);
                continue;
            }
            if (DROPPED.contains(key) || (key.equals("seed") && !keys.contains("seed"))) {
                continue;
            }
            if (key.equals("trainable")) {
                if (!v.isBoolean()) {
                    throw new KerasFormatException(where + ": \"trainable\": expected true or false, got " + v);
                }
                if (!v.asBoolean()) {
                    out.put("trainable", false); // a frozen layer (dlkit's Model.freeze)
                }
                continue;
            }
            if (key.equals("backward_layer") && type.equals("Bidirectional")) {
                checkMirror(config.get("layer"), v, where);
                continue;
            }
            if (!keys.contains(key)) {
                Set<String> inert = INERT.get(key);
                if (inert != null && inert.contains(v.toString())) {
                    continue;
                }
                throw new KerasFormatException(where + ": " + (inert != null
                        ? "\"" + key + "\": " + v + " is not supported (dlkit computes this layer as with " + String.join(" or ", inert) + ")"
                        : "dlkit's " + type + " has no setting \"" + key + "\" (given " + v + ")"));
            }
            JsonNode value = value(key, v, type, where);
            // a wrapped layer is frozen with its wrapper (Keras writes trainable=false on both)
            if (key.equals("layer") && value instanceof ObjectNode inner && inner.remove("trainable") != null
                    && config.path("trainable").asBoolean(true)) {
                throw new KerasFormatException(where + ": a frozen layer inside a trained " + type + " is not supported; freeze the " + type + " itself");
            }
            out.set(key, value);
        }
        try {
            ObjectNode check = out.deepCopy();
            check.remove("trainable");
            LayerRegistry.fromJson(check, "");
        } catch (dlkit.DlkitException e) {
            throw new KerasFormatException(where + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** dlkit's Bidirectional runs a copy of its layer backwards; a Keras backward_layer must be exactly that copy. */
    private static void checkMirror(JsonNode forward, JsonNode backward, String where) {
        if (backward == null || backward.isNull()) {
            return;
        }
        if (forward == null || !forward.isObject()) {
            throw new KerasFormatException(where + ": a Bidirectional needs its \"layer\"");
        }
        ObjectNode f = withoutSharedIds(forward.path("config").deepCopy());
        ObjectNode b = withoutSharedIds(backward.path("config").deepCopy());
        for (ObjectNode c : List.of(f, b)) {
            c.remove("name");
        }
        f.put("go_backwards", !f.path("go_backwards").asBoolean(false));
        if (!b.has("go_backwards")) {
            b.put("go_backwards", false);
        }
        if (!forward.path("class_name").equals(backward.path("class_name")) || !f.equals(b)) {
            String differs = forward.path("class_name").equals(backward.path("class_name")) ? "" : " (class_name " + backward.path("class_name") + ")";
            for (var it = b.fields(); it.hasNext() && differs.isEmpty(); ) {
                var e = it.next();
                if (!e.getValue().equals(f.get(e.getKey()))) {
                    differs = " (" + e.getKey() + ": " + e.getValue() + " backwards, " + f.get(e.getKey()) + " forwards)";
                }
            }
            throw new KerasFormatException(where + ": a backward_layer that is not the forward layer run backwards is not supported" + differs);
        }
    }

    /** Keras marks objects serialized once and referenced twice with an id of the writing process: not part of the config. */
    private static ObjectNode withoutSharedIds(ObjectNode node) {
        node.remove("shared_object_id");
        node.fields().forEachRemaining(e -> {
            if (e.getValue() instanceof ObjectNode o) {
                withoutSharedIds(o);
            }
        });
        return node;
    }

    private static JsonNode value(String key, JsonNode v, String type, String where) {
        if (key.endsWith("_initializer")) {
            return initializer(v, where + ": " + key);
        }
        if (key.endsWith("_regularizer")) {
            return regularizer(v, where + ": " + key);
        }
        if (key.equals("layer") && (type.equals("Bidirectional") || type.equals("TimeDistributed"))) {
            ObjectNode inner = toDlkit(v, where + ": layer");
            inner.remove("name");
            return inner;
        }
        if (key.equals("activation") || key.equals("recurrent_activation")) {
            if (!v.isTextual()) {
                throw new KerasFormatException(where + ": " + key + ": expected a built-in activation name such as \"relu\", got " + v);
            }
        }
        return v;
    }

    private static void checkDtype(JsonNode dtype, String where) {
        if (dtype == null || dtype.isNull()) {
            return;
        }
        String name = dtype.isTextual() ? dtype.asText() : dtype.path("config").path("name").asText("");
        if (!dtype.isTextual() && !dtype.path("class_name").asText().equals("DTypePolicy")) {
            throw new KerasFormatException(where + ": dtype policy " + dtype.path("class_name") + " is not supported (float32 only)");
        }
        if (!name.equals("float32")) {
            throw new KerasFormatException(where + ": dtype \"" + name + "\" is not supported; dlkit computes in float32");
        }
    }

    static JsonNode initializer(JsonNode v, String where) {
        if (v.isTextual() || v.isNull()) {
            return v;
        }
        String cls = v.path("class_name").asText("");
        JsonNode c = v.path("config");
        if (!v.path("module").asText("keras.initializers").startsWith("keras")) {
            throw new KerasFormatException(where + ": initializer from module " + v.get("module") + " is not allowed; only Keras' own");
        }
        String named = INITIALIZERS.get(cls);
        if (named != null) {
            return Json.MAPPER.getNodeFactory().textNode(named);
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        switch (cls) {
            case "Constant" -> out.put("type", "constant").set("value", c.path("value"));
            case "Orthogonal" -> out.put("type", "orthogonal").put("gain", c.path("gain").asDouble(1.0));
            case "RandomUniform" -> out.put("type", "uniform").put("minval", c.path("minval").asDouble(-0.05)).put("maxval", c.path("maxval").asDouble(0.05));
            default -> throw new KerasFormatException(where + ": initializer " + cls + " is not supported (dlkit has "
                    + String.join(", ", INITIALIZERS.keySet().stream().sorted().toList()) + ", Constant, Orthogonal, RandomUniform)");
        }
        return out;
    }

    static JsonNode regularizer(JsonNode v, String where) {
        if (v.isNull()) {
            return v;
        }
        String cls = v.path("class_name").asText("");
        JsonNode c = v.path("config");
        ObjectNode out = Json.MAPPER.createObjectNode();
        switch (cls) {
            case "L1" -> out.put("l1", c.path("l1").asDouble()).put("l2", 0.0);
            case "L2" -> out.put("l1", 0.0).put("l2", c.path("l2").asDouble());
            case "L1L2" -> out.put("l1", c.path("l1").asDouble()).put("l2", c.path("l2").asDouble());
            default -> throw new KerasFormatException(where + ": regularizer " + (cls.isEmpty() ? v : cls) + " is not supported (L1, L2, L1L2)");
        }
        return out;
    }

    /** The Keras layer object for a dlkit layer config (from {@code LayerRegistry.toJson}). */
    static ObjectNode toKeras(JsonNode dlkit, String name, String where) {
        String type = dlkit.get("type").asText();
        ObjectNode layer = Json.MAPPER.createObjectNode();
        layer.put("module", "keras.layers");
        ObjectNode config = Json.MAPPER.createObjectNode();
        if (type.equals("Input")) {
            layer.put("class_name", "InputLayer");
            ArrayNode shape = config.putArray("batch_shape");
            shape.addNull();
            dlkit.get("shape").forEach(shape::add);
            config.put("dtype", "float32");
            config.put("sparse", false);
            config.put("ragged", false);
            config.put("name", name);
            layer.set("config", config);
            layer.putNull("registered_name");
            return layer;
        }
        if (type.equals("ResidualBlock")) {
            throw new KerasFormatException(where + ": ResidualBlock is dlkit's own layer and has no Keras class; build the block from Conv2D,"
                    + " BatchNormalization, Activation and Add layers to export it");
        }
        layer.put("class_name", type);
        config.put("name", name);
        config.put("trainable", true);
        config.set("dtype", policy());
        for (var it = dlkit.fields(); it.hasNext(); ) {
            var e = it.next();
            String key = e.getKey();
            JsonNode v = e.getValue();
            if (key.equals("type") || key.equals("name") || key.equals("inputs")) {
                continue;
            }
            if (key.endsWith("_initializer")) {
                config.set(key, kerasInitializer(v));
            } else if (key.endsWith("_regularizer")) {
                config.set(key, kerasRegularizer(v));
            } else if (key.equals("layer")) {
                String inner = (type.equals("Bidirectional") ? "forward_" : "") + v.get("type").asText().toLowerCase();
                ObjectNode wrapped = toKeras(v, inner, where + ": layer");
                if (!dlkit.path("trainable").asBoolean(true)) {
                    ((ObjectNode) wrapped.get("config")).put("trainable", false);
                }
                config.set(key, wrapped);
            } else {
                config.set(key, v);
            }
        }
        layer.set("config", config);
        layer.putNull("registered_name");
        return layer;
    }

    static ObjectNode policy() {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.put("module", "keras");
        p.put("class_name", "DTypePolicy");
        p.putObject("config").put("name", "float32");
        p.putNull("registered_name");
        return p;
    }

    private static JsonNode kerasInitializer(JsonNode v) {
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("module", "keras.initializers");
        ObjectNode c = Json.MAPPER.createObjectNode();
        String type = v.isTextual() ? v.asText() : v.path("type").asText();
        switch (type) {
            case "constant" -> {
                out.put("class_name", "Constant");
                c.set("value", v.path("value"));
            }
            case "orthogonal" -> {
                out.put("class_name", "Orthogonal");
                c.put("gain", v.path("gain").asDouble(1.0));
                c.putNull("seed");
            }
            case "uniform" -> {
                out.put("class_name", "RandomUniform");
                c.put("minval", v.path("minval").asDouble(-0.05));
                c.put("maxval", v.path("maxval").asDouble(0.05));
                c.putNull("seed");
            }
            default -> {
                String cls = INITIALIZERS.entrySet().stream().filter(e -> e.getValue().equals(type)).map(Map.Entry::getKey).findFirst()
                        .orElseThrow(() -> new KerasFormatException("initializer " + v + " has no Keras counterpart"));
                out.put("class_name", cls);
                if (!cls.equals("Zeros") && !cls.equals("Ones")) {
                    c.putNull("seed");
                }
            }
        }
        out.set("config", c);
        out.putNull("registered_name");
        return out;
    }

    private static JsonNode kerasRegularizer(JsonNode v) {
        if (v == null || v.isNull()) {
            return Json.MAPPER.nullNode();
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("module", "keras.regularizers");
        out.put("class_name", "L1L2");
        out.putObject("config").put("l1", v.path("l1").asDouble(0)).put("l2", v.path("l2").asDouble(0));
        out.putNull("registered_name");
        return out;
    }

    static boolean isRecurrent(String cls) {
        return RECURRENT.contains(cls);
    }

    static List<String> supported() {
        return LayerRegistry.types().stream().filter(t -> !t.equals("Input") && !t.equals("ResidualBlock")).sorted().toList();
    }
}
