package dlkit.onnx;

import dlkit.ConfigException;
import dlkit.layers.Layer;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;

/** How one layer type becomes ONNX nodes; {@link OnnxExport#EXPORTS} maps stable type names to these. */
@FunctionalInterface
interface LayerExport {
    /** Adds the nodes of one call of the layer and returns its output tensors' names (the output, then any final states). */
    List<String> export(Call call);

    /** An export whose layer gives one output. */
    static LayerExport one(Function<Call, String> export) {
        return c -> List.of(export.apply(c));
    }

    /**
     * One call of a layer: the name its tensors' names start with (the layer's), its ONNX input tensors (channels-last, as dlkit lays data out) and their sample shapes,
     * the (first) output's sample shape, the layer's weights by their short names ({@code kernel}, {@code bias}), where it
     * is for messages, and the time-step mask ([batch, steps], float 1 real / 0 padding) it receives — or, for a layer
     * that makes one (Masking, Embedding with mask_zero), the mask it makes.
     */
    record Call(Layer layer, String base, List<String> inputs, List<Shape> inputShapes, Shape outputShape, Map<String, INDArray> weights,
                OnnxGraph graph, String where, @Nullable String mask) {
        String input() {
            return inputs.get(0);
        }

        Shape inputShape() {
            return inputShapes.get(0);
        }

        INDArray weight(String name) {
            INDArray w = weights.get(name);
            if (w == null) {
                throw new IllegalStateException(where + ": no weight '" + name + "' among " + weights.keySet());
            }
            return w;
        }

        /** A layer or option ONNX export cannot express: refused (exit 2), never a silently different model. */
        ConfigException unsupported(String what) {
            return new ConfigException(where, what + " cannot be exported to ONNX yet");
        }
    }
}
