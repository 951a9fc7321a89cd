package dlkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import io.jhdf.api.Dataset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keras' {@code compile_config} (optimizer, loss, metrics) and the optimizer's variables ({@code optimizer/vars}:
 * the step count, the learning rate, then per trainable variable its moments) to and from dlkit's compile section and
 * flat optimizer state. Adam and AdamW keep {@code [momentum, velocity]} per variable in Keras and {@code [m | v]} over
 * the flat weights in dlkit; other optimizers compile without their state.
 */
final class KerasCompile {
    private static final Logger LOG = LoggerFactory.getLogger(KerasCompile.class);
    private static final Map<String, String> CLASSES = Map.of("adam", "Adam", "adamw", "AdamW", "sgd", "SGD", "rmsprop", "RMSprop",
            "adagrad", "Adagrad", "adadelta", "Adadelta", "adamax", "Adamax", "nadam", "Nadam");
    /** Keras optimizer settings dlkit has no use for, at the values that change nothing. */
    private static final Map<String, Set<String>> INERT = Map.of(
            "name", Set.of(), "use_ema", Set.of("false"), "ema_momentum", Set.of(), "ema_overwrite_frequency", Set.of("null"),
            "loss_scale_factor", Set.of("null"), "gradient_accumulation_steps", Set.of("null"), "amsgrad", Set.of("false"),
            "weight_decay", Set.of("null", "0.0", "0"), "clipnorm", Set.of("null"), "clipvalue", Set.of("null"));

    private KerasCompile() {}

    /** Compiles {@code model} as Keras did; a setting dlkit lacks leaves the model uncompiled, with the reason logged. */
    static void apply(Model model, JsonNode compile, KerasWeights weights, Map<String, KerasGraph.Imported> layers, String src) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        try {
            c.set("optimizer", optimizer(compile.path("optimizer"), src));
            c.set("loss", loss(compile.get("loss"), src));
            if (compile.hasNonNull("loss_weights")) {
                c.set("loss_weights", compile.get("loss_weights"));
            }
            if (compile.hasNonNull("metrics")) {
                c.set("metrics", compile.get("metrics"));
            }
            ModelConfig.applyCompile(model, c, "compile_config");
        } catch (DlkitException e) {
            LOG.warn("{}: loaded without its compile_config: {}", src, e.getMessage());
            return;
        }
        if (weights != null && hasAdamState(model)) {
            adamState(model, weights, layers, src);
        }
    }

    private static JsonNode optimizer(JsonNode o, String src) {
        if (o.isTextual()) {
            return o;
        }
        String cls = o.path("class_name").asText("");
        String type = cls.toLowerCase(Locale.ROOT);
        if (!CLASSES.containsKey(type)) {
            throw new KerasFormatException(src + ": compile_config.optimizer: " + cls + " is not an optimizer dlkit has (" + CLASSES.values() + ")");
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("type", type);
        for (var it = o.path("config").fields(); it.hasNext(); ) {
            var e = it.next();
            Set<String> inert = INERT.get(e.getKey());
            boolean keep = type.equals("adamw") && e.getKey().equals("weight_decay")
                    || (e.getKey().startsWith("clip") || e.getKey().equals("global_clipnorm")) && !e.getValue().isNull();
            if (!keep && inert != null) {
                if (!inert.isEmpty() && !inert.contains(e.getValue().toString())) {
                    throw new KerasFormatException(src + ": compile_config.optimizer." + e.getKey() + " = " + e.getValue() + " is not supported");
                }
                continue;
            }
            if (e.getValue().isNull()) {
                continue;
            }
            out.set(e.getKey(), e.getValue());
        }
        return out;
    }

    private static JsonNode loss(JsonNode l, String src) {
        if (l == null || l.isNull()) {
            throw new KerasFormatException(src + ": compile_config has no loss");
        }
        if (l.isTextual()) {
            return l;
        }
        if (l.isObject() && l.has("class_name")) {
            ObjectNode out = Json.MAPPER.createObjectNode();
            out.put("type", KerasGraph.snake(l.get("class_name").asText()));
            JsonNode from = l.path("config").get("from_logits");
            if (from != null && from.asBoolean()) {
                out.put("from_logits", true);
            }
            return out;
        }
        if (l.isObject()) {
            ObjectNode per = Json.MAPPER.createObjectNode();
            l.fields().forEachRemaining(e -> per.set(e.getKey(), loss(e.getValue(), src)));
            return per;
        }
        throw new KerasFormatException(src + ": compile_config.loss " + l + " is not supported");
    }

    /** dlkit weight key → offset in the flat trainable array, in the model's order; non-trainable keys left out. */
    static Map<String, int[]> trainableRanges(Model model) {
        Map<String, int[]> out = new LinkedHashMap<>();
        float[] state = model.optimizerState();
        int count = state == null ? 0 : state.length / 2;
        int offset = 0;
        for (var e : model.getWeights().entrySet()) {
            int n = (int) e.getValue().length();
            if (offset + n <= count) {
                out.put(e.getKey(), new int[] {offset, n});
            }
            offset += n;
        }
        return out;
    }

    /** The trainable weights in Keras' order: layer by layer as Keras lists them, each layer's own order. */
    static List<String> kerasOrder(Model model, Iterable<String> layers) {
        Map<String, int[]> ranges = trainableRanges(model);
        List<String> out = new ArrayList<>();
        for (String layer : layers) {
            for (String key : ranges.keySet()) {
                if (key.startsWith(layer + ".")) {
                    out.add(key);
                }
            }
        }
        return out;
    }

    private static void adamState(Model model, KerasWeights weights, Map<String, KerasGraph.Imported> layers, String src) {
        List<Dataset> vars = weights.vars("optimizer/vars");
        if (vars.isEmpty()) {
            return;
        }
        float[] state = model.optimizerState();
        if (state == null) {
            return;
        }
        Map<String, int[]> ranges = trainableRanges(model);
        List<String> order = kerasOrder(model, layers.keySet());
        if (vars.size() != 2 + 2 * order.size()) {
            throw new KerasFormatException(src + ": optimizer/vars holds " + vars.size() + " variables; Adam over " + order.size()
                    + " trainable weights has " + (2 + 2 * order.size()));
        }
        long iterations = (long) weights.floats(vars.get(0), new int[0], "iterations")[0];
        float lr = weights.floats(vars.get(1), new int[0], "learning_rate")[0];
        int n = state.length / 2;
        float[] moments = new float[state.length];
        Map<String, INDArray> w = model.getWeights();
        for (int i = 0; i < order.size(); i++) {
            String key = order.get(i);
            int[] shape = java.util.Arrays.stream(w.get(key).shape()).mapToInt(d -> (int) d).toArray();
            int[] r = ranges.get(key);
            float[] m = weights.floats(vars.get(2 + 2 * i), shape, "momentum of " + key);
            float[] v = weights.floats(vars.get(3 + 2 * i), shape, "velocity of " + key);
            System.arraycopy(m, 0, moments, r[0], r[1]);
            System.arraycopy(v, 0, moments, n + r[0], r[1]);
        }
        if (iterations < 0) {
            throw new KerasFormatException(src + ": optimizer/vars/0: iterations " + iterations + " is negative");
        }
        model.setOptimizerState(moments, iterations);
        model.setLearningRate(lr);
    }

    /** The compile_config of a compiled dlkit model. */
    static ObjectNode toKeras(Model model) {
        JsonNode c = ModelConfig.toNode(model).get("compile");
        ObjectNode out = Json.MAPPER.createObjectNode();
        JsonNode o = c.get("optimizer");
        ObjectNode opt = out.putObject("optimizer");
        opt.put("module", "keras.optimizers");
        String type = o.path("type").asText();
        opt.put("class_name", CLASSES.getOrDefault(type, type));
        ObjectNode oc = opt.putObject("config");
        oc.put("name", type);
        o.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("type")) {
                oc.set(e.getKey(), e.getValue());
            }
        });
        opt.putNull("registered_name");
        out.set("loss", kerasLoss(c.get("loss")));
        out.set("loss_weights", c.has("loss_weights") ? c.get("loss_weights") : Json.MAPPER.nullNode());
        out.set("metrics", c.get("metrics"));
        out.putNull("weighted_metrics");
        out.put("run_eagerly", false);
        out.put("steps_per_execution", 1);
        out.put("jit_compile", false);
        return out;
    }

    private static JsonNode kerasLoss(JsonNode l) {
        if (l == null || l.isTextual()) {
            return l;
        }
        if (l.has("type")) {
            ObjectNode out = Json.MAPPER.createObjectNode();
            out.put("module", "keras.losses");
            StringBuilder cls = new StringBuilder();
            for (String part : l.get("type").asText().split("_")) {
                cls.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
            out.put("class_name", cls.toString());
            ObjectNode c = out.putObject("config");
            l.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("type")) {
                    c.set(e.getKey(), e.getValue());
                }
            });
            out.putNull("registered_name");
            return out;
        }
        ObjectNode per = Json.MAPPER.createObjectNode();
        l.fields().forEachRemaining(e -> per.set(e.getKey(), kerasLoss(e.getValue())));
        return per;
    }

    static boolean hasAdamState(Model model) {
        return model.isCompiled() && model.optimizerState() != null
                && (model.optimizer().type().equals("adam") || model.optimizer().type().equals("adamw"));
    }
}
