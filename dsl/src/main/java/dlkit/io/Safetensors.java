package dlkit.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ModelFileException;
import dlkit.config.Json;
import dlkit.tensor.Memory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data), written and read
 * with every check a file from a stranger needs: header size capped at 100 MB, offsets inside the data, no overlaps,
 * sizes matching dtype × shape — all before any tensor is allocated.
 */
public final class Safetensors {
    public static final long MAX_HEADER = 100L * 1024 * 1024;

    /** One tensor as stored: F32 or F64 data and its shape. */
    public record Tensor(@NonNull String dtype, long @NonNull [] shape, @NonNull ByteBuffer data) {
        public @NonNull INDArray toINDArray() {
            ByteBuffer d = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            long n = d.remaining() / (dtype.equals("F64") ? 8 : 4);
            if (dtype.equals("F64")) {
                double[] v = new double[(int) n];
                d.asDoubleBuffer().get(v);
                return Nd4j.create(v, shape, 'c').castTo(DataType.FLOAT);
            }
            float[] v = new float[(int) n];
            d.asFloatBuffer().get(v);
            return Nd4j.create(v, shape, 'c');
        }

        public float @NonNull [] toFloats() {
            ByteBuffer d = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            if (dtype.equals("F64")) {
                double[] v = new double[d.remaining() / 8];
                d.asDoubleBuffer().get(v);
                float[] f = new float[v.length];
                for (int i = 0; i < v.length; i++) {
                    f[i] = (float) v[i];
                }
                return f;
            }
            float[] v = new float[d.remaining() / 4];
            d.asFloatBuffer().get(v);
            return v;
        }
    }

    public record Contents(@NonNull Map<String, Tensor> tensors, @NonNull Map<String, String> metadata) {}

    private Safetensors() {}

    /** Serialises float32 tensors (INDArrays of any float type are converted) with string metadata. */
    public static byte @NonNull [] write(@NonNull Map<String, INDArray> tensors, @NonNull Map<String, String> metadata) {
        ObjectNode header = Json.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            // Sorted: callers pass Map.of, whose order changes from one JVM to the next, and a file's bytes must not.
            new TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        List<float[]> data = new ArrayList<>();
        for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
            INDArray a = e.getValue();
            // an empty tensor (plain SGD has no optimizer moments) has no data buffer
            float[] v = a.isEmpty() || a.length() == 0 ? new float[0] : a.castTo(DataType.FLOAT).dup('c').data().asFloat();
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "F32");
            var shape = t.putArray("shape");
            for (long s : a.shape()) {
                shape.add(s);
            }
            var offs = t.putArray("data_offsets");
            offs.add(offset);
            offs.add(offset + 4L * v.length);
            offset += 4L * v.length;
            data.add(v);
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8; // the spec pads the header with spaces to 8-byte alignment
        ByteBuffer out = ByteBuffer.allocate((int) (8 + padded + offset)).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (float[] v : data) {
            out.asFloatBuffer().put(v);
            out.position(out.position() + 4 * v.length);
        }
        return out.array();
    }

    /** Parses and validates {@code bytes}; {@code source} names the file in errors. */
    public static @NonNull Contents read(byte @NonNull [] bytes, @NonNull String source) {
        if (bytes.length < 8) {
            throw new ModelFileException(source + ": not a safetensors file: " + bytes.length + " bytes, shorter than the 8-byte header length");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = buf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER) {
            throw new ModelFileException(source + ": safetensors header length " + headerLen + " is outside [2, " + MAX_HEADER + "] bytes (corrupt or not a safetensors file)");
        }
        if (8 + headerLen > bytes.length) {
            throw new ModelFileException(source + ": safetensors header claims " + headerLen + " bytes but the file has only "
                    + (bytes.length - 8) + " after the length (truncated?)");
        }
        JsonNode header;
        try {
            header = Json.MAPPER.readTree(new String(bytes, 8, (int) headerLen, StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new ModelFileException(source + ": safetensors header is not valid JSON: " + e.getMessage().split("\n")[0]);
        }
        if (header == null || !header.isObject()) {
            throw new ModelFileException(source + ": safetensors header must be a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataLen = bytes.length - dataStart;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode t = e.getValue();
            if (name.equals("__metadata__")) {
                if (!t.isObject()) {
                    throw new ModelFileException(source + ": __metadata__ must be an object of strings");
                }
                t.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String where = source + ": tensor \"" + name + "\"";
            if (!t.isObject() || !t.path("dtype").isTextual() || !t.path("shape").isArray() || !t.path("data_offsets").isArray()) {
                throw new ModelFileException(where + ": expected {\"dtype\", \"shape\", \"data_offsets\"}, got " + t);
            }
            String dtype = t.get("dtype").asText();
            int size = switch (dtype) {
                case "F32" -> 4;
                case "F64" -> 8;
                default -> throw new ModelFileException(where + ": dtype " + dtype + " is not supported (expected F32 or F64)");
            };
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = t.get("shape").get(i);
                if (!d.canConvertToExactIntegral() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                    throw new ModelFileException(where + ": shape " + t.get("shape") + " has an invalid dimension");
                }
                shape[i] = d.asLong();
            }
            long elems = Memory.product(shape);
            long span = Memory.product(elems, size);
            JsonNode offs = t.get("data_offsets");
            if (offs.size() != 2 || !offs.get(0).canConvertToExactIntegral() || !offs.get(1).canConvertToExactIntegral()) {
                throw new ModelFileException(where + ": data_offsets must be [begin, end], got " + offs);
            }
            long begin = offs.get(0).asLong();
            long end = offs.get(1).asLong();
            if (begin < 0 || end < begin || end > dataLen) {
                throw new ModelFileException(where + ": data_offsets [" + begin + ", " + end + "] fall outside the " + dataLen + " data bytes");
            }
            if (span < 0 || end - begin != span) {
                throw new ModelFileException(where + ": " + dtype + " shape " + Arrays.toString(shape) + " needs "
                        + (span < 0 ? "more than 2^63" : String.format("%,d", span)) + " bytes but data_offsets span " + (end - begin));
            }
            ranges.add(new long[] {begin, end});
            tensors.put(name, new Tensor(dtype, shape, ByteBuffer.wrap(bytes, (int) (dataStart + begin), (int) (end - begin)).slice()));
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw new ModelFileException(source + ": tensors overlap at data bytes [" + ranges.get(i)[0] + ", " + ranges.get(i - 1)[1] + ")");
            }
        }
        return new Contents(tensors, metadata);
    }
}
