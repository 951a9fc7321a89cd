package dlkit.layers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.NonNull;

/**
 * Maps stable type names to layers. JSON never holds a Java class name: a file can only name layers registered here,
 * so loading a model from a stranger cannot instantiate arbitrary classes.
 */
public final class LayerRegistry {
    /** How to read one layer type: its config record, the defaults for keys left out, and the keys that have none. */
    public record Entry<C extends Record>(String type, Class<C> configClass, C defaults, Set<String> required, Function<C, Layer> factory) {}

    private static final Map<String, Entry<?>> ENTRIES = new LinkedHashMap<>();

    static {
        register(Input.ENTRY);
        register(Dense.ENTRY);
        register(ActivationLayer.ENTRY);
        register(Dropout.ENTRY);
        register(GaussianNoise.ENTRY);
        register(ActivityRegularization.ENTRY);
        register(Flatten.ENTRY);
        register(Reshape.ENTRY);
        register(Conv2D.ENTRY);
        register(MaxPooling2D.ENTRY);
        register(AveragePooling2D.ENTRY);
        register(GlobalAveragePooling2D.ENTRY);
        register(GlobalMaxPooling2D.ENTRY);
        register(BatchNormalization.ENTRY);
        register(Conv1D.ENTRY);
        register(MaxPooling1D.ENTRY);
        register(AveragePooling1D.ENTRY);
        register(GlobalAveragePooling1D.ENTRY);
        register(GlobalMaxPooling1D.ENTRY);
        register(ZeroPadding2D.ENTRY);
        register(Cropping2D.ENTRY);
        register(UpSampling2D.ENTRY);
        register(DepthwiseConv2D.ENTRY);
        register(Conv2DTranspose.ENTRY);
        register(SimpleRNN.ENTRY);
        register(LSTM.ENTRY);
        register(GRU.ENTRY);
        register(Embedding.ENTRY);
        register(Masking.ENTRY);
        register(Bidirectional.ENTRY);
        register(TimeDistributed.ENTRY);
        register(ResidualBlock.ENTRY);
        register(Add.ENTRY);
        register(Subtract.ENTRY);
        register(Multiply.ENTRY);
        register(Average.ENTRY);
        register(Maximum.ENTRY);
        register(Concatenate.ENTRY);
    }

    private LayerRegistry() {}

    public static synchronized void register(@NonNull Entry<?> entry) {
        if (ENTRIES.containsKey(entry.type())) {
            throw new IllegalArgumentException("layer type \"" + entry.type() + "\" is already registered");
        }
        ENTRIES.put(entry.type(), entry);
    }

    public static synchronized @NonNull List<String> types() {
        return List.copyOf(ENTRIES.keySet());
    }

    /** The JSON keys a layer type accepts besides {@code type}, in config order (for docs and schema checks). */
    public static synchronized @NonNull List<String> configKeys(@NonNull String type) {
        Entry<?> entry = ENTRIES.get(type);
        if (entry == null) {
            throw new IllegalArgumentException("unknown layer type \"" + type + "\"");
        }
        return iterable(((ObjectNode) Json.MAPPER.valueToTree(entry.defaults())).fieldNames());
    }

    /** {@code {"type": "Dense", "name": ..., "units": ...}}: the type first, then the config's keys. */
    public static @NonNull ObjectNode toJson(@NonNull Layer layer) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("type", layer.type());
        node.setAll((ObjectNode) Json.MAPPER.valueToTree(layer.config()));
        return node;
    }

    public static @NonNull Layer fromJson(@NonNull JsonNode node, @NonNull String path) {
        if (!node.isObject()) {
            throw new ConfigException(path, "expected a layer object with a \"type\", got " + node.getNodeType().toString().toLowerCase());
        }
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new ConfigException(path + ".type", "missing layer type; expected one of " + types());
        }
        String type = typeNode.asText();
        Entry<?> entry;
        synchronized (LayerRegistry.class) {
            entry = ENTRIES.get(type);
        }
        if (entry == null) {
            String hint = Json.suggest(type, types());
            throw new ConfigException(path + ".type", "unknown layer type \"" + type + "\""
                    + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + types()));
        }
        return read(entry, (ObjectNode) node, path);
    }

    private static <C extends Record> Layer read(Entry<C> entry, ObjectNode node, String path) {
        ObjectNode given = node.deepCopy();
        given.remove("type");
        for (String key : entry.required()) {
            if (!given.has(key)) {
                throw new ConfigException(path, "missing required key \"" + key + "\" for layer type \"" + entry.type() + "\"");
            }
        }
        ObjectNode merged = (ObjectNode) Json.MAPPER.valueToTree(entry.defaults());
        for (Iterator<Map.Entry<String, JsonNode>> it = given.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!merged.has(f.getKey())) {
                List<String> known = iterable(merged.fieldNames());
                String hint = Json.suggest(f.getKey(), known);
                throw new ConfigException(path + "." + f.getKey(), "unknown key for layer type \"" + entry.type() + "\""
                        + (hint != null ? "; did you mean \"" + hint + "\"?" : "") + " (known keys: " + String.join(", ", known) + ")");
            }
            merged.set(f.getKey(), f.getValue());
        }
        C config = Json.read(merged, entry.configClass(), path);
        try {
            return entry.factory().apply(config);
        } catch (IllegalArgumentException e) {
            throw ConfigException.folded(path, e.getMessage(), e);
        }
    }

    private static List<String> iterable(Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
