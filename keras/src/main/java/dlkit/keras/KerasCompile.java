package dlkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.optim.Nadam;
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
 * flat optimizer state. Keras keeps an optimizer's k slots per variable one after the other ({@code [momentum,
 * velocity]} for Adam), dlkit keeps k blocks over the flat weights ({@code [m | v]}), in the same slot order for the
 * optimizers in {@link #STATEFUL}. Nadam's last variable, the running product of its momentum schedule, is a
 * function of the step count, which dlkit recomputes; it is checked on import and written on export.
 */
final class KerasCompile {
    private static final Logger LOG = LoggerFactory.getLogger(KerasCompile.class);
    private static final Map<String, String> CLASSES = Map.of("adam", "Adam", "adamw", "AdamW", "sgd", "SGD", "rmsprop", "RMSprop",
            "adagrad", "Adagrad", "adadelta", "Adadelta", "adamax", "Adamax", "nadam", "Nadam");
    /** Keras optimizer settings dlkit has no use for, at the values that change nothing. */
    private static final Map<String, Set<String>> INERT = Map.ofEntries(
            Map.entry("name", Set.of()),
            Map.entry("use_ema", Set.of("false")),
            Map.entry("ema_momentum", Set.of()),
            Map.entry("ema_overwrite_frequency", Set.of("null")),
            Map.entry("loss_scale_factor", Set.of("null")),
            Map.entry("gradient_accumulation_steps", Set.of("null")),
            Map.entry("amsgrad", Set.of("false")),
            Map.entry("weight_decay", Set.of("null", "0.0", "0")),
            Map.entry("clipnorm", Set.of("null")),
            Map.entry("clipvalue", Set.of("null")),
            Map.entry("centered", Set.of("false")));

    /**
     * Optimizers whose Keras slots per variable are dlkit's state blocks, in order (SGD: momentum; RMSprop: velocity,
     * momentum; Adadelta: accumulated gradient, accumulated update).
     */
    static final Set<String> STATEFUL = Set.of("adam", "adamw", "adamax", "sgd", "rmsprop", "adagrad", "nadam", "adadelta");

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
        if (weights != null && hasState(model)) {
            state(model, weights, layers, src);
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
        long count = model.trainableParamCount();
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

    private static void state(Model model, KerasWeights weights, Map<String, KerasGraph.Imported> layers, String src) {
        List<Dataset> vars = weights.vars("optimizer/vars");
        float[] state = model.optimizerState();
        if (vars.isEmpty() || state == null) {
            return;
        }
        Map<String, int[]> ranges = trainableRanges(model);
        List<String> order = kerasOrder(model, layers.keySet());
        int n = ranges.values().stream().mapToInt(r -> r[1]).sum();
        int slots = n == 0 ? 0 : state.length / n;
        int expected = 2 + slots * order.size() + trailing(model);
        if (vars.size() != expected) {
            throw new KerasFormatException(src + ": optimizer/vars holds " + vars.size() + " variables; " + model.optimizer().type() + " over "
                    + order.size() + " trainable weights has " + expected);
        }
        long iterations = (long) weights.floats(vars.get(0), new int[0], "iterations")[0];
        if (iterations < 0) {
            throw new KerasFormatException(src + ": optimizer/vars/0: iterations " + iterations + " is negative");
        }
        float lr = weights.floats(vars.get(1), new int[0], "learning_rate")[0];
        float[] moments = new float[state.length];
        Map<String, INDArray> w = model.getWeights();
        for (int i = 0; i < order.size(); i++) {
            String key = order.get(i);
            int[] shape = java.util.Arrays.stream(w.get(key).shape()).mapToInt(d -> (int) d).toArray();
            int[] r = ranges.get(key);
            for (int j = 0; j < slots; j++) {
                float[] v = weights.floats(vars.get(2 + slots * i + j), shape, "optimizer slot " + j + " of " + key);
                System.arraycopy(v, 0, moments, j * n + r[0], r[1]);
            }
        }
        if (trailing(model) == 1) {
            float product = weights.floats(vars.get(expected - 1), new int[0], "Nadam's u_product")[0];
            double mine = ((Nadam) model.optimizer()).scheduleProduct(iterations);
            if (!(Math.abs(product - mine) <= 1e-4 * Math.abs(mine))) {
                throw new KerasFormatException(src + ": optimizer/vars/" + (expected - 1) + ": Nadam's u_product " + product
                        + " does not follow from " + iterations + " iterations (expected " + (float) mine + ")");
            }
        }
        model.setOptimizerState(moments, iterations);
        model.setLearningRate(lr);
    }

    /** Variables Keras keeps after the per-weight slots: Nadam's u_product. */
    static int trailing(Model model) {
        return model.optimizer() instanceof Nadam ? 1 : 0;
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

    static boolean hasState(Model model) {
        return model.isCompiled() && model.optimizerState() != null && STATEFUL.contains(model.optimizer().type());
    }
}
