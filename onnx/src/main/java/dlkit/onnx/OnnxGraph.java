package dlkit.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import onnx.Onnx;
import org.nd4j.shade.protobuf.ByteString;

/**
 * An ONNX graph being written: nodes in the order added (the exporter adds them in dependency order), initializers
 * for weights and constants, and names made unique. Tensors are referred to by name, as in ONNX itself.
 */
final class OnnxGraph {
    final Onnx.GraphProto.Builder proto = Onnx.GraphProto.newBuilder();
    private final Set<String> names = new HashSet<>();

    /** {@code base}, or {@code base_2}, {@code base_3}… if taken. */
    String fresh(String base) {
        String name = base;
        for (int k = 2; !names.add(name); k++) {
            name = base + "_" + k;
        }
        return name;
    }

    /** Reserves a name that must be kept as it is (a graph input or output). */
    void reserve(String name) {
        if (!names.add(name)) {
            throw new IllegalStateException("tensor name " + name + " used twice");
        }
    }

    /** A node of {@code op} with one output, named from {@code base}. */
    String node(String op, String base, List<String> inputs, Onnx.AttributeProto... attributes) {
        String out = fresh(base);
        node(op, inputs, List.of(out), attributes);
        return out;
    }

    /** A node writing exactly the tensors {@code outputs} (already reserved or fresh). */
    void node(String op, List<String> inputs, List<String> outputs, Onnx.AttributeProto... attributes) {
        Onnx.NodeProto.Builder n = Onnx.NodeProto.newBuilder().setOpType(op).setName(fresh("node_" + op + "_" + outputs.get(0)));
        n.addAllInput(inputs).addAllOutput(outputs);
        for (Onnx.AttributeProto a : attributes) {
            n.addAttribute(a);
        }
        proto.addNode(n);
    }

    /** A float32 initializer (a weight or a constant) of shape {@code dims}, row-major. */
    String floats(String base, float[] values, long... dims) {
        String name = fresh(base);
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        proto.addInitializer(Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.FLOAT.getNumber())
                .addAllDims(longs(dims)).setRawData(ByteString.copyFrom(b.array())));
        return name;
    }

    /** An int64 initializer of shape [values.length] (shapes, axes, pads for ops that take them as inputs). */
    String int64s(String base, long... values) {
        String name = fresh(base);
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        proto.addInitializer(Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.INT64.getNumber())
                .addDims(values.length).setRawData(ByteString.copyFrom(b.array())));
        return name;
    }

    /** A 0-d int64 constant (CumSum's axis). */
    String int64Scalar(String base, long value) {
        String name = fresh(base);
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        proto.addInitializer(Onnx.TensorProto.newBuilder().setName(name).setDataType(Onnx.TensorProto.DataType.INT64.getNumber())
                .setRawData(ByteString.copyFrom(b.array())));
        return name;
    }

    /** A float32 scalar constant. */
    String scalar(String base, float value) {
        return floats(base, new float[] {value});
    }

    /** A float32 graph input or output of shape [batch, ...sample], the batch axis symbolic. */
    static Onnx.ValueInfoProto value(String name, int[] sample) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        for (int d : sample) {
            shape.addDim(Onnx.TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return Onnx.ValueInfoProto.newBuilder().setName(name).setType(Onnx.TypeProto.newBuilder()
                .setTensorType(Onnx.TypeProto.Tensor.newBuilder().setElemType(Onnx.TensorProto.DataType.FLOAT.getNumber()).setShape(shape))).build();
    }

    private static List<Long> longs(long[] dims) {
        return java.util.Arrays.stream(dims).boxed().toList();
    }

    static Onnx.AttributeProto attr(String name, long value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INT).setI(value).build();
    }

    static Onnx.AttributeProto attr(String name, float value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static Onnx.AttributeProto attr(String name, String value) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    static Onnx.AttributeProto attr(String name, long... values) {
        return Onnx.AttributeProto.newBuilder().setName(name).setType(Onnx.AttributeProto.AttributeType.INTS).addAllInts(longs(values)).build();
    }
}
