package dlkit.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import dlkit.layers.Layer;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.optim.Nadam;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A dlkit model as Keras 3 writes it: the config Keras' {@code deserialize_keras_object} reads, and the weights file. */
final class KerasExport {
    private static final Set<String> MERGES = Set.of("Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate");

    private KerasExport() {}

    static ObjectNode config(Model model, String src) {
        ObjectNode dl = ModelConfig.toNode(model);
        JsonNode layers = dl.get("layers");
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("module", "keras");
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("name", model.name());
        config.put("trainable", true);
        config.set("dtype", KerasLayers.policy());
        ArrayNode list = config.putArray("layers");
        if (!model.isFunctional()) {
            root.put("class_name", "Sequential");
            for (int i = 0; i < layers.size(); i++) {
                list.add(KerasLayers.toKeras(layers.get(i), model.layers().get(i).name(), where(src, i, model.layers().get(i))));
            }
            ArrayNode shape = Json.MAPPER.createArrayNode().addNull();
            for (int d : model.inputShape().dims()) {
                shape.add(d);
            }
            config.set("build_input_shape", shape);
            root.set("config", config);
            root.putNull("registered_name");
            root.putObject("build_config").set("input_shape", shape);
        } else {
            // Keras serializes its Functional class by its defining module, not the public keras namespace.
            root.put("module", "keras.src.models.functional");
            root.put("class_name", "Functional");
            List<Shape> shapes = model.layerOutputShapes();
            for (int i = 0; i < layers.size(); i++) {
                Layer layer = model.layers().get(i);
                ObjectNode k = KerasLayers.toKeras(layers.get(i), layer.name(), where(src, i, layer));
                k.put("name", layer.name());
                ArrayNode nodes = k.putArray("inbound_nodes");
                if (!layer.type().equals("Input")) {
                    for (List<String> call : model.callInputs(i)) {
                        nodes.add(node(layer.type(), call, model, shapes));
                    }
                }
                list.add(k);
            }
            ArrayNode ins = config.putArray("input_layers");
            model.inputNames().forEach(n -> ins.add(ref(n)));
            ArrayNode outs = config.putArray("output_layers");
            model.outputNames().forEach(n -> outs.add(ref(n)));
            root.set("config", config);
            root.putNull("registered_name");
        }
        if (model.isCompiled()) {
            root.set("compile_config", KerasCompile.toKeras(model));
        }
        return root;
    }

    private static String where(String src, int i, Layer l) {
        return src + ": layers[" + i + "] (name \"" + l.name() + "\", type " + l.type() + ")";
    }

    private static ObjectNode node(String type, List<String> call, Model model, List<Shape> shapes) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        ArrayNode args = node.putArray("args");
        ObjectNode kwargs = node.putObject("kwargs");
        if (MERGES.contains(type)) {
            ArrayNode all = args.addArray();
            call.forEach(t -> all.add(tensor(t, model, shapes)));
        } else {
            args.add(tensor(call.get(0), model, shapes));
            if (call.size() > 1) {
                ArrayNode states = kwargs.putArray("initial_state");
                call.subList(1, call.size()).forEach(t -> states.add(tensor(t, model, shapes)));
            }
        }
        return node;
    }

    /** dlkit's tensor name {@code layer:k#j} as Keras' history {@code [layer, k, j]}. */
    private static ArrayNode ref(String tensor) {
        String name = tensor;
        int j = 0;
        int k = 0;
        int hash = name.lastIndexOf('#');
        if (hash > 0) {
            j = Integer.parseInt(name.substring(hash + 1));
            name = name.substring(0, hash);
        }
        int colon = name.lastIndexOf(':');
        if (colon > 0) {
            k = Integer.parseInt(name.substring(colon + 1));
            name = name.substring(0, colon);
        }
        return Json.MAPPER.createArrayNode().add(name).add(k).add(j);
    }

    private static ObjectNode tensor(String t, Model model, List<Shape> shapes) {
        ArrayNode history = ref(t);
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("class_name", "__keras_tensor__");
        ObjectNode c = out.putObject("config");
        ArrayNode shape = c.putArray("shape").addNull();
        for (int i = 0; i < model.layers().size(); i++) {
            if (model.layers().get(i).name().equals(history.get(0).asText())) {
                for (int d : shapes.get(i).dims()) {
                    shape.add(d);
                }
            }
        }
        c.put("dtype", "float32");
        c.set("keras_history", history);
        return out;
    }

    /** The weights (and Adam's state) laid out as Keras' saver lays out this model's objects. */
    static KerasWeights.Writer weights(Model model, ObjectNode kerasConfig) {
        KerasWeights.Writer w = new KerasWeights.Writer();
        Map<String, INDArray> values = model.getWeights();
        JsonNode layers = kerasConfig.path("config").path("layers");
        KerasGraph.Counter counter = new KerasGraph.Counter();
        for (int i = 0; i < layers.size(); i++) {
            JsonNode l = layers.get(i);
            String cls = l.path("class_name").asText();
            if (cls.equals("InputLayer") && !model.isFunctional()) {
                continue;
            }
            String name = l.path("config").path("name").asText();
            String path = "layers/" + counter.next(cls);
            w.group(path + "/vars", name);
            List<String> groups = KerasGraph.varGroups(cls, l.path("config"), path);
            List<List<String>> keys = KerasFormat.split(keysOf(values, name), groups.size());
            for (int g = 0; g < groups.size(); g++) {
                String gp = groups.get(g);
                String parent = gp.substring(0, gp.length() - "/vars".length());
                if (parent.endsWith("/cell")) {
                    w.group(parent.substring(0, parent.length() - "/cell".length()) + "/vars", name);
                }
                w.group(gp, name);
                for (String key : keys.get(g)) {
                    INDArray a = values.get(key);
                    int[] shape = java.util.Arrays.stream(a.shape()).mapToInt(d -> (int) d).toArray();
                    w.add(gp, shape, a.dup('c').data().asFloat());
                }
            }
            if (cls.equals("Normalization") && l.path("config").path("mean").isNull()) {
                int n = model.layerOutputShapes().get(i).dims()[model.layerOutputShapes().get(i).dims().length - 1];
                float[] ones = new float[n];
                java.util.Arrays.fill(ones, 1f);
                w.add(path + "/vars", new int[] {n}, new float[n]);
                w.add(path + "/vars", new int[] {n}, ones);
                w.addScalar(path + "/vars", 0L);
            }
        }
        w.group("vars", model.name());
        if (KerasCompile.hasState(model)) {
            float[] state = model.optimizerState();
            Map<String, int[]> ranges = KerasCompile.trainableRanges(model);
            int n = ranges.values().stream().mapToInt(r -> r[1]).sum();
            int slots = n == 0 ? 0 : state.length / n;
            w.group("optimizer/vars", model.optimizer().type());
            w.addScalar("optimizer/vars", (int) model.iterations());
            w.addScalar("optimizer/vars", (float) model.learningRate());
            List<String> names = model.layers().stream().map(Layer::name).toList();
            for (String key : KerasCompile.kerasOrder(model, names)) {
                int[] r = ranges.get(key);
                int[] shape = java.util.Arrays.stream(values.get(key).shape()).mapToInt(d -> (int) d).toArray();
                for (int j = 0; j < slots; j++) {
                    float[] slot = new float[r[1]];
                    System.arraycopy(state, j * n + r[0], slot, 0, r[1]);
                    w.add("optimizer/vars", shape, slot);
                }
            }
            if (model.optimizer() instanceof Nadam nadam) {
                w.addScalar("optimizer/vars", (float) nadam.scheduleProduct(model.iterations()));
            }
        }
        return w;
    }

    static List<String> keysOf(Map<String, INDArray> values, String layer) {
        return values.keySet().stream().filter(k -> k.startsWith(layer + ".")).toList();
    }
}
