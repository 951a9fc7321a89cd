package dlkit.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.data.ArrayDataset;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.preprocessing.Normalization;
import dlkit.layers.preprocessing.Preprocessing;
import dlkit.layers.preprocessing.Rescaling;
import dlkit.layers.registry.LayerRegistry;
import dlkit.tensor.Shape;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.IntStream;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * {@code data.normalize} as a layer: "scale" becomes a {@link Rescaling} to [0, 1] over the training split's range,
 * "standardize" a {@link Normalization} with each feature's mean and variance, placed right after the model's
 * Input in its config, so the model that is trained and saved is the whole pipeline.
 */
public final class Preprocessors {
    private Preprocessors() {}

    /** The layer for {@code mode} with statistics of {@code train} viewed in shape {@code in}; null for "none". */
    public static @Nullable Preprocessing<?, ?, ?> forMode(@NonNull String mode, @NonNull ArrayDataset train, @NonNull Shape in) {
        if (mode.equals("none")) {
            return null;
        }
        if (train.featureShape().size() != in.size()) {
            throw new ConfigException("data.train", "samples have " + train.featureShape().size() + " values (shape " + train.featureShape()
                    + ") but the model's Input takes " + in.size() + " (shape " + in + ")");
        }
        ArrayDataset view = train.featureShape().equals(in) ? train : train.reshape(in);
        return switch (mode) {
            case "scale" -> Rescaling.fitRange(view).named("rescaling");
            // Every feature (all axes but the batch's) its own mean and variance.
            case "standardize" -> Normalization.of(IntStream.rangeClosed(1, in.rank()).toArray()).adapt(view).named("normalization");
            default -> throw new ConfigException("data.normalize", "expected one of " + RunConfig.DataConfig.NORMALIZE + ", got \"" + mode + "\"");
        };
    }

    /** The sample shape the model config's (single) Input declares. */
    static @NonNull Shape inputShape(@NonNull JsonNode model, @NonNull String path) {
        JsonNode layers = model.path("layers");
        String lp = Json.join(path, "layers");
        JsonNode input = null;
        int index = -1;
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).path("type").asText().equals("Input")) {
                if (input != null) {
                    throw new ConfigException("data.normalize", "a model with several Inputs (" + lp + "[" + index + "], " + lp + "[" + i
                            + "]) cannot take one data.normalize; put Rescaling or Normalization layers after its Inputs instead");
                }
                input = layers.get(i);
                index = i;
            }
        }
        if (input == null) {
            throw new ConfigException(lp + "[0].type", "the first layer must be an Input declaring the sample shape");
        }
        Layer in = LayerRegistry.fromJson(input, lp + "[" + index + "]");
        return ((Input) in).shape();
    }

    /** {@code model} with {@code layer} right after its Input: inserted in a Sequential list, wired in a Functional graph. */
    static @NonNull JsonNode prepend(@NonNull JsonNode model, @NonNull Preprocessing<?, ?, ?> layer, @NonNull String path) {
        ObjectNode m = model.deepCopy();
        ArrayNode layers = (ArrayNode) m.get("layers");
        Set<String> names = new HashSet<>();
        layers.forEach(l -> names.add(l.path("name").asText()));
        String name = layer.name();
        for (int k = 1; names.contains(name); k++) {
            name = layer.name() + "_" + k;
        }
        ObjectNode node = LayerRegistry.toJson(layer.named(name));
        int input = 0;
        while (!layers.get(input).path("type").asText().equals("Input")) {
            input++;
        }
        if (m.path("type").asText("Sequential").equals("Functional")) {
            String inputName = layers.get(input).path("name").asText();
            for (JsonNode l : layers) {
                if (l.has("inputs")) {
                    ((ObjectNode) l).set("inputs", renamed(l.get("inputs"), inputName, name));
                }
            }
            if (m.has("outputs")) {
                m.set("outputs", renamed(m.get("outputs"), inputName, name));
            }
            node.putArray("inputs").add(inputName);
        }
        layers.insert(input + 1, node);
        return m;
    }

    /**
     * An error about the model with its preprocessing layer, with the JSON path pointing into the config as written:
     * layers after the inserted one move back by one, and the inserted layer itself is {@code data.normalize}.
     */
    static @NonNull ConfigException asWritten(@NonNull ConfigException e, @NonNull JsonNode original) {
        String path = e.path();
        java.util.regex.Matcher m = path == null ? null : java.util.regex.Pattern.compile("^model\\.layers\\[(\\d+)\\](.*)$", java.util.regex.Pattern.DOTALL).matcher(path);
        if (m == null || !m.matches()) {
            return e;
        }
        int input = 0;
        JsonNode layers = original.path("layers");
        while (input < layers.size() && !layers.get(input).path("type").asText().equals("Input")) {
            input++;
        }
        int k = Integer.parseInt(m.group(1));
        if (k <= input) {
            return e;
        }
        String moved = k == input + 1 ? "data.normalize" + m.group(2) : "model.layers[" + (k - 1) + "]" + m.group(2);
        return new ConfigException(moved, e.detail(), e);
    }

    /** {@code refs} (tensor names, possibly one list per call) with {@code from} replaced by {@code to}. */
    private static JsonNode renamed(JsonNode refs, String from, String to) {
        if (refs.isTextual()) {
            return refs.asText().equals(from) ? TextNode.valueOf(to) : refs;
        }
        if (refs.isArray()) {
            ArrayNode out = Json.MAPPER.createArrayNode();
            refs.forEach(r -> out.add(renamed(r, from, to)));
            return out;
        }
        return refs;
    }

    /** True when {@code model}'s first layer after its Input is a preprocessing layer: it takes raw data. */
    public static boolean takesRawData(dlkit.model.@NonNull Model model) {
        return model.layers().stream().filter(l -> !(l instanceof Input)).findFirst().map(l -> l instanceof Preprocessing).orElse(false);
    }

    /** Autoencoder data: each sample its own target, as the model sees it after {@code pre} (the raw sample when null). */
    static @NonNull ArrayDataset autoencoding(@NonNull ArrayDataset d, @Nullable Preprocessing<?, ?, ?> pre) {
        return pre == null ? d.autoencoding() : d.autoencoding(pre);
    }
}
