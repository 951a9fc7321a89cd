package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ModelFileException;
import dlkit.config.Json;
import dlkit.tensor.Memory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Weights inside callback checkpoint state (EarlyStopping's best weights): exact float32 bits, base64. */
final class WeightsJson {
    private WeightsJson() {}

    static ObjectNode encode(Map<String, INDArray> weights) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        for (Map.Entry<String, INDArray> e : weights.entrySet()) {
            float[] v = e.getValue().castTo(DataType.FLOAT).dup('c').data().asFloat();
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            ObjectNode t = o.putObject(e.getKey());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            t.put("data", Base64.getEncoder().encodeToString(b.array()));
        }
        return o;
    }

    /** Checked like any other file content: a shape must be non-negative integers matching the data's length. */
    static Map<String, INDArray> decode(JsonNode o) {
        Map<String, INDArray> m = new LinkedHashMap<>();
        if (!o.isObject()) {
            throw new ModelFileException("checkpoint callback state: expected an object of weights, got " + o.getNodeType());
        }
        o.fields().forEachRemaining(e -> {
            String where = "checkpoint callback state: weight \"" + e.getKey() + "\"";
            JsonNode shapeNode = e.getValue().path("shape");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                    throw new ModelFileException(where + ": shape " + shapeNode + " has an invalid dimension");
                }
                shape[i] = d.asLong();
            }
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(e.getValue().path("data").asText());
            } catch (IllegalArgumentException bad) {
                throw new ModelFileException(where + ": data is not base64: " + bad.getMessage());
            }
            if (!shapeNode.isArray() || bytes.length % 4 != 0 || Memory.product(shape) != bytes.length / 4) {
                throw new ModelFileException(where + ": shape " + shapeNode + " does not match its " + bytes.length + " data bytes");
            }
            float[] v = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            m.put(e.getKey(), Nd4j.create(v, shape, 'c'));
        });
        return m;
    }
}
