package dlkit.layers.registry;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.convolution.Conv1D;
import dlkit.layers.convolution.Conv2D;
import dlkit.layers.convolution.Conv2DTranspose;
import dlkit.layers.convolution.DepthwiseConv2D;
import dlkit.layers.convolution.ResidualBlock;
import dlkit.layers.core.ActivationLayer;
import dlkit.layers.core.Dense;
import dlkit.layers.core.Embedding;
import dlkit.layers.core.Masking;
import dlkit.layers.merge.Add;
import dlkit.layers.merge.Average;
import dlkit.layers.merge.Concatenate;
import dlkit.layers.merge.Maximum;
import dlkit.layers.merge.Multiply;
import dlkit.layers.merge.Subtract;
import dlkit.layers.normalization.BatchNormalization;
import dlkit.layers.pooling.AveragePooling1D;
import dlkit.layers.pooling.AveragePooling2D;
import dlkit.layers.pooling.GlobalAveragePooling1D;
import dlkit.layers.pooling.GlobalAveragePooling2D;
import dlkit.layers.pooling.GlobalMaxPooling1D;
import dlkit.layers.pooling.GlobalMaxPooling2D;
import dlkit.layers.pooling.MaxPooling1D;
import dlkit.layers.pooling.MaxPooling2D;
import dlkit.layers.preprocessing.Normalization;
import dlkit.layers.preprocessing.Rescaling;
import dlkit.layers.recurrent.Bidirectional;
import dlkit.layers.recurrent.GRU;
import dlkit.layers.recurrent.LSTM;
import dlkit.layers.recurrent.SimpleRNN;
import dlkit.layers.recurrent.TimeDistributed;
import dlkit.layers.regularization.ActivityRegularization;
import dlkit.layers.regularization.Dropout;
import dlkit.layers.regularization.GaussianNoise;
import dlkit.layers.reshaping.Cropping2D;
import dlkit.layers.reshaping.Flatten;
import dlkit.layers.reshaping.Reshape;
import dlkit.layers.reshaping.UpSampling2D;
import dlkit.layers.reshaping.ZeroPadding2D;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;

/**
 * Maps stable type names to layers: the one place a new layer is listed. JSON never holds a Java class name: a file
 * can only name the layers registered here, so loading a model from a stranger cannot instantiate arbitrary classes.
 * A layer inside a layer (Bidirectional's, TimeDistributed's) is written and read through here too.
 */
public final class LayerRegistry {
    private static final Map<String, LayerType<?, ?, ?>> TYPES = new LinkedHashMap<>();

    static {
        for (LayerType<?, ?, ?> t : List.of(
                Input.TYPE, Dense.TYPE, ActivationLayer.TYPE, Dropout.TYPE, GaussianNoise.TYPE, ActivityRegularization.TYPE, Flatten.TYPE,
                Reshape.TYPE, Conv2D.TYPE, MaxPooling2D.TYPE, AveragePooling2D.TYPE, GlobalAveragePooling2D.TYPE, GlobalMaxPooling2D.TYPE,
                BatchNormalization.TYPE, Conv1D.TYPE, MaxPooling1D.TYPE, AveragePooling1D.TYPE, GlobalAveragePooling1D.TYPE,
                GlobalMaxPooling1D.TYPE, ZeroPadding2D.TYPE, Cropping2D.TYPE, UpSampling2D.TYPE, DepthwiseConv2D.TYPE, Conv2DTranspose.TYPE,
                SimpleRNN.TYPE, LSTM.TYPE, GRU.TYPE, Embedding.TYPE, Masking.TYPE, Bidirectional.TYPE, TimeDistributed.TYPE,
                ResidualBlock.TYPE, Add.TYPE, Subtract.TYPE, Multiply.TYPE, Average.TYPE, Maximum.TYPE, Concatenate.TYPE,
                Rescaling.TYPE, Normalization.TYPE)) {
            register(t);
        }
    }

    /** {@link Json#MAPPER} with layer-typed config values (a wrapper's inner layer) written and read as layer JSON. */
    private static final ObjectMapper MAPPER = Json.MAPPER.copy().registerModule(new SimpleModule("dlkit-layers")
            .addSerializer(Layer.class, new JsonSerializer<>() {
                @Override
                public void serialize(Layer layer, JsonGenerator gen, SerializerProvider provider) throws IOException {
                    gen.writeTree(toJson(layer));
                }
            })
            .addDeserializer(Layer.class, new JsonDeserializer<>() {
                @Override
                public Layer deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                    // Errors name paths inside the inner layer; Jackson adds the key it sits under.
                    return fromJson(ctx.readTree(p), "");
                }
            }));

    private LayerRegistry() {}

    public static synchronized void register(@NonNull LayerType<?, ?, ?> type) {
        if (TYPES.containsKey(type.name())) {
            throw new IllegalArgumentException("layer type \"" + type.name() + "\" is already registered");
        }
        TYPES.put(type.name(), type);
    }

    public static synchronized @NonNull List<String> types() {
        return List.copyOf(TYPES.keySet());
    }

    private static synchronized LayerType<?, ?, ?> lookup(String type) {
        return TYPES.get(type);
    }

    /** The registered type named {@code name}. */
    public static @NonNull LayerType<?, ?, ?> type(@NonNull String name) {
        LayerType<?, ?, ?> t = lookup(name);
        if (t == null) {
            throw new IllegalArgumentException("unknown layer type \"" + name + "\"");
        }
        return t;
    }

    /** The JSON keys a layer type accepts besides {@code type}, in config order (for docs and schema checks). */
    public static @NonNull List<String> configKeys(@NonNull String type) {
        return fieldNames(MAPPER.valueToTree(type(type).defaults()));
    }

    /** {@code {"type": "Dense", "name": ..., "units": ...}}: the type first, then the config's keys. */
    public static @NonNull ObjectNode toJson(@NonNull Layer layer) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("type", layer.type());
        node.setAll((ObjectNode) MAPPER.valueToTree(layer.config()));
        return node;
    }

    public static @NonNull Layer fromJson(@NonNull JsonNode node, @NonNull String path) {
        if (!node.isObject()) {
            throw new ConfigException(path, "expected a layer object with a \"type\", got " + node.getNodeType().toString().toLowerCase());
        }
        JsonNode typeNode = node.get("type");
        if (typeNode == null || !typeNode.isTextual()) {
            throw new ConfigException(Json.join(path, "type"), "missing layer type; expected one of " + types());
        }
        String type = typeNode.asText();
        LayerType<?, ?, ?> t = lookup(type);
        if (t == null) {
            String hint = Json.suggest(type, types());
            throw new ConfigException(Json.join(path, "type"), "unknown layer type \"" + type + "\""
                    + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + types()));
        }
        return read(t, (ObjectNode) node, path);
    }

    /** The file's keys laid over the type's defaults, every key known and every required one present. */
    private static <C extends Record & LayerConfig> Layer read(LayerType<C, ?, ?> type, ObjectNode node, String path) {
        ObjectNode given = node.deepCopy();
        given.remove("type");
        for (String key : type.required()) {
            if (!given.has(key)) {
                throw new ConfigException(path, "missing required key \"" + key + "\" for layer type \"" + type.name() + "\"");
            }
        }
        ObjectNode merged = MAPPER.valueToTree(type.defaults());
        for (Iterator<Map.Entry<String, JsonNode>> it = given.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!merged.has(f.getKey())) {
                List<String> known = fieldNames(merged);
                String hint = Json.suggest(f.getKey(), known);
                throw new ConfigException(Json.join(path, f.getKey()), "unknown key for layer type \"" + type.name() + "\""
                        + (hint != null ? "; did you mean \"" + hint + "\"?" : "") + " (known keys: " + String.join(", ", known) + ")");
            }
            merged.set(f.getKey(), f.getValue());
        }
        C config = Json.read(MAPPER, merged, type.configClass(), path);
        try {
            return type.create(config);
        } catch (IllegalArgumentException e) {
            throw ConfigException.folded(path, e.getMessage(), e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
