package dlkit.onnx;

import static dlkit.onnx.LayerExport.one;
import static java.util.Map.entry;

import dlkit.ConfigException;
import dlkit.files.AtomicFile;
import dlkit.layers.Layer;
import dlkit.layers.MaskRule;
import dlkit.model.Model;
import dlkit.tensor.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import onnx.Onnx;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A dlkit model as a standard ONNX model: opset 17, IR version 8, a symbolic batch axis, the model's input and output
 * names, float32 channels-last tensors as dlkit takes and gives them. A layer or option that ONNX export cannot
 * express is refused with a {@link ConfigException} naming it — never a silently different model.
 */
public final class OnnxExport {
    public static final int OPSET = 17;
    public static final long IR_VERSION = 8;

    /** Layer type name → its export; a type not here is refused by name. */
    static final Map<String, LayerExport> EXPORTS = Map.ofEntries(
            entry("Dense", one(CoreExports::dense)),
            entry("Activation", one(CoreExports::activation)),
            entry("Dropout", one(CoreExports::identity)),
            entry("GaussianNoise", one(CoreExports::identity)),
            entry("ActivityRegularization", one(CoreExports::identity)),
            entry("Flatten", one(CoreExports::flatten)),
            entry("Reshape", one(CoreExports::reshape)),
            entry("Embedding", one(CoreExports::embedding)),
            entry("BatchNormalization", one(CoreExports::batchNormalization)),
            entry("Rescaling", one(ShapeExports::perValueAffine)),
            entry("Normalization", one(ShapeExports::perValueAffine)),
            entry("Conv1D", one(ConvExports::conv1d)),
            entry("Conv2D", one(ConvExports::conv2d)),
            entry("DepthwiseConv2D", one(ConvExports::depthwise)),
            entry("Conv2DTranspose", one(ConvExports::conv2dTranspose)),
            entry("MaxPooling1D", one(ConvExports::pool1d)),
            entry("AveragePooling1D", one(ConvExports::pool1d)),
            entry("MaxPooling2D", one(ConvExports::pool2d)),
            entry("AveragePooling2D", one(ConvExports::pool2d)),
            entry("GlobalAveragePooling1D", one(ConvExports::globalPool)),
            entry("GlobalMaxPooling1D", one(ConvExports::globalPool)),
            entry("GlobalAveragePooling2D", one(ConvExports::globalPool)),
            entry("GlobalMaxPooling2D", one(ConvExports::globalPool)),
            entry("ZeroPadding2D", one(ShapeExports::zeroPadding2d)),
            entry("Cropping2D", one(ShapeExports::cropping2d)),
            entry("UpSampling2D", one(ShapeExports::upSampling2d)),
            entry("Add", one(ShapeExports::merge)),
            entry("Subtract", one(ShapeExports::merge)),
            entry("Multiply", one(ShapeExports::merge)),
            entry("Average", one(ShapeExports::merge)),
            entry("Maximum", one(ShapeExports::merge)),
            entry("Concatenate", one(ShapeExports::merge)),
            entry("SimpleRNN", RecurrentExports::recurrent),
            entry("LSTM", RecurrentExports::recurrent),
            entry("GRU", RecurrentExports::recurrent),
            entry("Bidirectional", RecurrentExports::bidirectional),
            entry("TimeDistributed", one(RecurrentExports::timeDistributed)),
            entry("ResidualBlock", one(ConvExports::residualBlock)),
            entry("Masking", one(Masks::masking)));

    private OnnxExport() {}

    /** The layer types export handles. */
    public static @NonNull Set<String> supportedTypes() {
        return new TreeSet<>(EXPORTS.keySet());
    }

    /** Writes {@code model} to {@code path} (through a temp file renamed over it). */
    public static void save(@NonNull Model model, @NonNull Path path) {
        byte[] bytes = toBytes(model, path + ": model '" + model.name() + "'");
        AtomicFile.write(path, out -> out.write(bytes));
    }

    public static byte @NonNull [] toBytes(@NonNull Model model) {
        return toBytes(model, "model '" + model.name() + "'");
    }

    private static byte[] toBytes(Model model, String src) {
        return toProto(model, src).toByteArray();
    }

    static Onnx.ModelProto toProto(Model model, String src) {
        OnnxGraph g = new OnnxGraph();
        g.proto.setName(model.name());
        List<Layer> layers = model.layers();
        // The graph's own inputs and outputs keep the model's names exactly; inner tensors are named around them.
        Map<String, String> onnxName = new HashMap<>();
        Map<String, Shape> shapeOf = new HashMap<>();
        for (int i = 0; i < model.inputNames().size(); i++) {
            String in = model.inputNames().get(i);
            g.reserve(in);
            onnxName.put(in, in);
            shapeOf.put(in, model.inputShapes().get(i));
            g.proto.addInput(OnnxGraph.value(in, model.inputShapes().get(i).dims()));
        }
        for (String out : model.outputNames()) {
            if (!onnxName.containsKey(out)) {
                g.reserve(out);
            }
        }
        Map<String, Map<String, INDArray>> weights = weightsByLayer(model);
        Map<String, String> masks = new HashMap<>();

        record Pending(int layer, String output, List<String> inputs) {}
        List<Pending> pending = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            if (layers.get(i).type().equals("Input")) {
                continue;
            }
            List<List<String>> calls = model.callInputs(i);
            for (int k = 0; k < calls.size(); k++) {
                pending.add(new Pending(i, k == 0 ? layers.get(i).name() : layers.get(i).name() + ":" + k, calls.get(k)));
            }
        }
        while (!pending.isEmpty()) {
            Pending next = pending.stream().filter(p -> onnxName.keySet().containsAll(p.inputs())).findFirst()
                    .orElseThrow(() -> new IllegalStateException(src + ": no layer call is ready among " + pending));
            pending.remove(next);
            Layer layer = layers.get(next.layer());
            String where = src + ": layers[" + next.layer() + "] (name \"" + layer.name() + "\", type " + layer.type() + ")";
            LayerExport export = EXPORTS.get(layer.type());
            if (export == null) {
                throw new ConfigException(where, "layer type " + layer.type() + " cannot be exported to ONNX yet; exported types: " + supportedTypes());
            }
            List<String> inputs = next.inputs().stream().map(onnxName::get).toList();
            List<Shape> inputShapes = next.inputs().stream().map(shapeOf::get).toList();
            List<Shape> outputShapes = layer.outputShapes(inputShapes);
            // The time-step mask follows dlkit's rules: made by Masking and Embedding(mask_zero), passed on by layers that
            // keep the steps, used by the recurrent layers, dropped by the rest.
            String mask = masks.get(next.inputs().get(0));
            MaskRule rule = layer.maskRule();
            if (rule == MaskRule.MAKE) {
                mask = Masks.make(layer, inputs.get(0), g);
            }
            List<String> outs = export.export(new LayerExport.Call(layer, layer.name(), inputs, inputShapes, outputShapes.get(0),
                    weights.getOrDefault(layer.name(), Map.of()), g, where, mask));
            if (outs.size() != outputShapes.size()) {
                throw new IllegalStateException(where + ": exported " + outs.size() + " outputs, the layer gives " + outputShapes.size());
            }
            // A call's later outputs (a recurrent layer's final states) are its name with #1, #2, as dlkit names them.
            for (int k = 0; k < outs.size(); k++) {
                String name = k == 0 ? next.output() : next.output() + "#" + k;
                onnxName.put(name, outs.get(k));
                shapeOf.put(name, outputShapes.get(k));
            }
            if (mask != null && rule != MaskRule.DROP) {
                masks.put(next.output(), mask);
            }
        }
        for (int o = 0; o < model.outputNames().size(); o++) {
            String name = model.outputNames().get(o);
            String from = onnxName.get(name);
            if (from == null) {
                throw new IllegalStateException(src + ": output " + name + " was not computed");
            }
            if (!from.equals(name)) {
                g.node("Identity", List.of(from), List.of(name));
            }
            g.proto.addOutput(OnnxGraph.value(name, model.outputShapes().get(o).dims()));
        }
        return Onnx.ModelProto.newBuilder().setIrVersion(IR_VERSION).setProducerName("dlkit")
                .setProducerVersion(String.valueOf(OnnxExport.class.getPackage().getImplementationVersion()))
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET)).setGraph(g.proto).build();
    }

    /** {@code dense.kernel} → dense: {kernel}. */
    private static Map<String, Map<String, INDArray>> weightsByLayer(Model model) {
        Map<String, Map<String, INDArray>> out = new LinkedHashMap<>();
        for (Map.Entry<String, INDArray> e : model.getWeights().entrySet()) {
            int dot = e.getKey().lastIndexOf('.');
            out.computeIfAbsent(e.getKey().substring(0, dot), k -> new LinkedHashMap<>()).put(e.getKey().substring(dot + 1), e.getValue());
        }
        return out;
    }
}
