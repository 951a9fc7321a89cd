package dlkit.onnx;

import static dlkit.onnx.OnnxGraph.attr;

import dlkit.layers.Layer;
import dlkit.layers.core.Masking;
import java.util.List;
import onnx.Onnx;

/**
 * Time-step masks as tensors: [batch, steps] floats, 1 for a real step and 0 for padding, made where dlkit makes them
 * (Masking, Embedding with mask_zero) and used by the recurrent layers ({@link RecurrentExports}).
 */
final class Masks {
    private Masks() {}

    static final long FLOAT = Onnx.TensorProto.DataType.FLOAT.getNumber();

    /** The mask a MAKE layer computes from its input: ids ≠ 0, or any feature ≠ mask_value. */
    static String make(Layer layer, String input, OnnxGraph g) {
        String base = layer.name() + "/mask";
        if (layer instanceof Masking m) {
            String differs = g.node("Not", base + "/differs", List.of(g.node("Equal", base + "/equal", List.of(input, g.scalar(base + "/value",
                    (float) m.config().maskValue())))));
            String any = g.node("ReduceMax", base + "/any", List.of(g.node("Cast", base + "/as_float", List.of(differs), attr("to", FLOAT))),
                    attr("axes", new long[] {-1}), attr("keepdims", 0L));
            return any;
        }
        String ids = g.node("Cast", base + "/ids", List.of(input), attr("to", (long) Onnx.TensorProto.DataType.INT64.getNumber()));
        String real = g.node("Not", base + "/real", List.of(g.node("Equal", base + "/is_zero", List.of(ids, g.int64s(base + "/zero", 0)))));
        return g.node("Cast", base, List.of(real), attr("to", FLOAT));
    }

    /** Keras' Masking: padded steps zeroed (the recurrent layers after it skip them). */
    static String masking(LayerExport.Call c) {
        OnnxGraph g = c.graph();
        String m = g.node("Unsqueeze", c.base() + "/mask_3d", List.of(c.mask(), g.int64s(c.base() + "/last", -1)));
        return g.node("Mul", c.base(), List.of(c.input(), m));
    }
}
