package dlkit.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The Open Inference Protocol's REST infer (KServe v2, as Triton and Seldon speak it): {@code {"id", "inputs": [{"name",
 * "shape", "datatype", "data"}], "outputs": [{"name"}]}} in, {@code {"model_name", "id", "outputs": [...]}} out.
 *
 * <p>With Triton's binary tensor data extension, the JSON is only the first {@code Inference-Header-Content-Length}
 * bytes of the body; an input with {@code "parameters": {"binary_data_size": B}} and no {@code data} takes the next B
 * bytes after it (raw little-endian, row-major, in the order the inputs are listed). Outputs asked for with
 * {@code "parameters": {"binary_data": true}} (or all, with the request's {@code "binary_data_output": true}) come
 * back the same way. Numbers then cost a copy, not a decimal parse.
 */
final class OpenInference {
    private OpenInference() {}

    static final Set<String> DATATYPES = Set.of("FP32", "FP64", "INT32", "INT64");

    /** The header that splits a body (or an answer) into its JSON and its binary tensors. */
    static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    /**
     * A parsed infer request: the rows in model input order, its id, the outputs asked for (all when null), and those
     * to answer in binary.
     */
    record Request(Rows rows, @Nullable String id, @Nullable List<String> outputs, Set<String> binary) {}

    private static final class Input {
        @Nullable String name;
        int @Nullable [] shape;
        @Nullable String datatype;
        @Nullable JsonTensor data;
        long binarySize = -1;
        float @Nullable [] binary;
    }

    /** Output names and whether each asked for binary data. */
    private record Outputs(List<String> names, Set<String> binary) {}

    /** {@code jsonLength} is the request's {@link #HEADER_LENGTH} (null without it: the body is all JSON). */
    static Request parse(JsonFactory json, byte[] body, @Nullable String jsonLength, String model, Signature sig) {
        int end = jsonEnd(jsonLength, body.length);
        try (JsonParser p = json.createParser(body, 0, end)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadRequest("the body: expected a JSON object {\"inputs\": [...]}, got " + JsonTensor.describe(p.currentToken()));
            }
            String id = null;
            List<Input> inputs = null;
            Outputs outputs = null;
            boolean allBinary = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "id" -> id = string(p, v, "id");
                    case "inputs" -> inputs = inputs(p, v);
                    case "outputs" -> outputs = outputNames(p, v, sig);
                    case "parameters" -> allBinary = Boolean.TRUE.equals(parameters(p, v, "parameters", "binary_data_output"));
                    default -> p.skipChildren();
                }
            }
            if (inputs == null) {
                throw new BadRequest("the body: missing \"inputs\"");
            }
            binaryData(inputs, body, end, jsonLength != null);
            Set<String> binary = allBinary ? Set.copyOf(outputs == null ? sig.outputs() : outputs.names())
                    : outputs == null ? Set.of() : outputs.binary();
            return new Request(rows(inputs, model, sig), id, outputs == null ? null : outputs.names(), binary);
        } catch (IOException e) {
            throw new BadRequest("the body is not valid JSON: " + JsonTensor.why(e));
        }
    }

    private static int jsonEnd(@Nullable String jsonLength, int bodyLength) {
        if (jsonLength == null) {
            return bodyLength;
        }
        long n;
        try {
            n = Long.parseLong(jsonLength.trim());
        } catch (NumberFormatException e) {
            throw new BadRequest("header " + HEADER_LENGTH + ": expected the JSON's length in bytes, got '" + jsonLength + "'");
        }
        if (n < 0 || n > bodyLength) {
            throw new BadRequest("header " + HEADER_LENGTH + " is " + n + " bytes; expected 0 to the body's " + bodyLength);
        }
        return (int) n;
    }

    /**
     * A {@code "parameters"} object: the boolean {@code key} (binary_data_output, binary_data) or, for
     * binary_data_size, its integer as a Long; other parameters are ignored, as Triton does.
     */
    private static @Nullable Object parameters(JsonParser p, JsonToken v, String where, String key) throws IOException {
        if (v != JsonToken.START_OBJECT) {
            throw new BadRequest(where + ": expected an object, got " + JsonTensor.describe(v));
        }
        Object found = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken f = p.nextToken();
            if (!field.equals(key)) {
                p.skipChildren();
            } else if (key.equals("binary_data_size")) {
                if (f != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT && p.getNumberType() != JsonParser.NumberType.LONG
                        || p.getLongValue() < 0) {
                    throw new BadRequest(where + "." + key + ": expected a byte count, got " + (f == JsonToken.VALUE_NUMBER_INT ? p.getText() : JsonTensor.describe(f)));
                }
                found = p.getLongValue();
            } else {
                if (f != JsonToken.VALUE_TRUE && f != JsonToken.VALUE_FALSE) {
                    throw new BadRequest(where + "." + key + ": expected true or false, got " + JsonTensor.describe(f));
                }
                found = f == JsonToken.VALUE_TRUE;
            }
        }
        return found;
    }

    /** Gives each input with a binary_data_size its bytes after the JSON, in order; every byte must be taken. */
    private static void binaryData(List<Input> inputs, byte[] body, int start, boolean split) {
        int at = start;
        long left = body.length - at;
        for (int k = 0; k < inputs.size(); k++) {
            Input in = inputs.get(k);
            if (in.binarySize < 0) {
                continue;
            }
            String where = "inputs[" + k + "]";
            if (!split) {
                throw new BadRequest(where + ": binary_data_size needs the header " + HEADER_LENGTH + " (the JSON's length), which is missing");
            }
            if (in.data != null) {
                throw new BadRequest(where + ": both \"data\" and binary_data_size; send one");
            }
            if (in.datatype == null || !DATATYPES.contains(in.datatype)) {
                throw new BadRequest(where + ": binary data needs a datatype of " + new java.util.TreeSet<>(DATATYPES) + ", got " + in.datatype);
            }
            int width = in.datatype.endsWith("64") ? 8 : 4;
            if (in.binarySize > left) {
                throw new BadRequest(where + ": binary_data_size is " + in.binarySize + " bytes, only " + left + " are left after the JSON");
            }
            if (in.binarySize % width != 0) {
                throw new BadRequest(where + ": binary_data_size " + in.binarySize + " is not a whole number of " + in.datatype + " values (" + width + " bytes each)");
            }
            in.binary = decode(body, at, (int) (in.binarySize / width), in.datatype);
            at += (int) in.binarySize;
            left -= in.binarySize;
        }
        if (split && left != 0) {
            throw new BadRequest("the body has " + (body.length - start) + " bytes after the JSON; the inputs' binary_data_size add up to "
                    + (body.length - start - left));
        }
    }

    private static float[] decode(byte[] body, int at, int count, String datatype) {
        ByteBuffer b = ByteBuffer.wrap(body, at, body.length - at).slice().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[count];
        switch (datatype) {
            case "FP32" -> b.asFloatBuffer().get(v);
            case "FP64" -> {
                for (int i = 0; i < count; i++) {
                    v[i] = (float) b.getDouble(8 * i);
                }
            }
            case "INT32" -> {
                for (int i = 0; i < count; i++) {
                    v[i] = b.getInt(4 * i);
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    v[i] = b.getLong(8 * i);
                }
            }
        }
        return v;
    }

    private static String string(JsonParser p, JsonToken v, String where) throws IOException {
        if (v != JsonToken.VALUE_STRING) {
            throw new BadRequest(where + ": expected a string, got " + JsonTensor.describe(v));
        }
        return p.getText();
    }

    private static List<Input> inputs(JsonParser p, JsonToken v) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            throw new BadRequest("inputs: expected an array of {\"name\", \"shape\", \"datatype\", \"data\"}, got " + JsonTensor.describe(v));
        }
        List<Input> list = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            String where = "inputs[" + list.size() + "]";
            if (t != JsonToken.START_OBJECT) {
                throw new BadRequest(where + ": expected an object, got " + JsonTensor.describe(t));
            }
            Input in = new Input();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken f = p.nextToken();
                switch (field) {
                    case "name" -> in.name = string(p, f, where + ".name");
                    case "datatype" -> in.datatype = string(p, f, where + ".datatype");
                    case "shape" -> in.shape = shape(p, f, where + ".shape");
                    // Sized by the shape when it came first (as clients write it): no regrowth while reading.
                    case "data" -> in.data = JsonTensor.read(p, where + ".data", in.shape == null ? 64 : (int) Math.min(1 << 20, product(in.shape)));
                    case "parameters" -> {
                        Object size = parameters(p, f, where + ".parameters", "binary_data_size");
                        in.binarySize = size == null ? -1 : (Long) size;
                    }
                    default -> p.skipChildren();
                }
            }
            list.add(in);
        }
        return list;
    }

    private static long product(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.min(n * d, 1L << 40);
        }
        return n;
    }

    private static int[] shape(JsonParser p, JsonToken v, String where) throws IOException {
        JsonTensor t = JsonTensor.read(p, where);
        if (t.shape().length != 1 || !t.integral()) {
            throw new BadRequest(where + ": expected an array of integers, got " + (t.integral() ? "shape " + JsonTensor.shapeText(t.shape()) : "non-integers"));
        }
        int[] s = new int[t.count()];
        for (int i = 0; i < s.length; i++) {
            float d = t.values()[i];
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw new BadRequest(where + ": dimension " + i + " is " + (long) d + "; expected 0 to " + Integer.MAX_VALUE);
            }
            s[i] = (int) d;
        }
        return s;
    }

    private static Outputs outputNames(JsonParser p, JsonToken v, Signature sig) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            throw new BadRequest("outputs: expected an array of {\"name\"}, got " + JsonTensor.describe(v));
        }
        List<String> names = new ArrayList<>();
        Set<String> binary = new HashSet<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            String where = "outputs[" + names.size() + "]";
            if (t != JsonToken.START_OBJECT) {
                throw new BadRequest(where + ": expected an object {\"name\"}, got " + JsonTensor.describe(t));
            }
            String name = null;
            boolean inBinary = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken f = p.nextToken();
                if (field.equals("name")) {
                    name = string(p, f, where + ".name");
                } else if (field.equals("parameters")) {
                    inBinary = Boolean.TRUE.equals(parameters(p, f, where + ".parameters", "binary_data"));
                } else {
                    p.skipChildren();
                }
            }
            if (name == null) {
                throw new BadRequest(where + ": missing \"name\"");
            }
            if (!sig.outputs().contains(name)) {
                throw new BadRequest(where + ": the model has no output '" + name + "'; its outputs are " + sig.outputs());
            }
            names.add(name);
            if (inBinary) {
                binary.add(name);
            }
        }
        return new Outputs(names, binary);
    }

    /** Checks every input against the signature (name, datatype, shape, value count) and lays them in model order. */
    private static Rows rows(List<Input> given, String model, Signature sig) {
        float[][] arrays = new float[sig.inputs().size()][];
        int n = -1;
        for (int k = 0; k < given.size(); k++) {
            Input in = given.get(k);
            String where = "inputs[" + k + "]";
            if (in.name == null) {
                throw new BadRequest(where + ": missing \"name\"");
            }
            int i = sig.inputs().indexOf(in.name);
            if (i < 0) {
                throw new BadRequest(where + ": model '" + model + "' has no input '" + in.name + "'; its inputs are " + sig.inputs());
            }
            if (arrays[i] != null) {
                throw new BadRequest(where + ": input '" + in.name + "' given twice");
            }
            int[] sample = sig.inputShapes().get(i);
            String expected = "expected shape " + Signature.batchShape(sample) + " with datatype FP32 (or FP64, INT32, INT64)";
            if (in.datatype == null || in.shape == null || in.data == null && in.binary == null) {
                throw new BadRequest("input '" + in.name + "': missing \"" + (in.datatype == null ? "datatype" : in.shape == null ? "shape" : "data") + "\"; " + expected);
            }
            if (!DATATYPES.contains(in.datatype)) {
                throw new BadRequest("input '" + in.name + "': datatype " + in.datatype + " is not supported; " + expected);
            }
            if (!Signature.isBatchOf(in.shape, sample)) {
                throw new BadRequest("input '" + in.name + "': " + expected + ", got shape " + JsonTensor.shapeText(in.shape));
            }
            long values = (long) in.shape[0] * Signature.size(sample);
            int count = in.binary != null ? in.binary.length : in.data.count();
            if (count != values) {
                throw new BadRequest("input '" + in.name + "': shape " + JsonTensor.shapeText(in.shape) + " holds " + values + " values, "
                        + (in.binary != null ? "its binary data has " : "\"data\" has ") + count);
            }
            if (in.binary == null && in.datatype.startsWith("INT") && !in.data.integral()) {
                throw new BadRequest("input '" + in.name + "': datatype " + in.datatype + " takes integers, \"data\" holds other numbers");
            }
            if (n >= 0 && in.shape[0] != n) {
                throw new BadRequest("input '" + in.name + "': " + in.shape[0] + " samples, the inputs before it have " + n);
            }
            n = in.shape[0];
            arrays[i] = in.binary != null ? in.binary : in.data.values();
        }
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < arrays.length; i++) {
            if (arrays[i] == null) {
                missing.add(sig.inputs().get(i));
            }
        }
        if (!missing.isEmpty()) {
            throw new BadRequest("model '" + model + "' takes inputs " + sig.inputs() + "; missing " + missing);
        }
        return new Rows(arrays, n);
    }

    /** An answer: the JSON and, after it, the binary outputs ({@code jsonLength} < 0 when there are none). */
    record Response(byte[] body, int jsonLength) {}

    /**
     * The infer response: each asked-for output as {@code {"name", "datatype": "FP32", "shape": [n, …], "data": [flat]}},
     * or with {@code "parameters": {"binary_data_size"}} and its little-endian floats after the JSON.
     */
    static Response response(JsonFactory json, String model, Request req, Signature sig, float[][] outputs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 12 * outputs[0].length);
        List<Integer> binary = new ArrayList<>();
        int n = req.rows().n();
        try (JsonGenerator g = json.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeStringField("model_name", model);
            g.writeStringField("model_version", "1");
            if (req.id() != null) {
                g.writeStringField("id", req.id());
            }
            g.writeArrayFieldStart("outputs");
            for (int o = 0; o < sig.outputs().size(); o++) {
                String name = sig.outputs().get(o);
                if (req.outputs() != null && !req.outputs().contains(name)) {
                    continue;
                }
                g.writeStartObject();
                g.writeStringField("name", name);
                g.writeStringField("datatype", "FP32");
                g.writeFieldName("shape");
                g.writeArray(Signature.withBatch(n, sig.outputShapes().get(o)), 0, sig.outputShapes().get(o).length + 1);
                if (req.binary().contains(name)) {
                    g.writeObjectFieldStart("parameters");
                    g.writeNumberField("binary_data_size", 4L * n * sig.outputSize(o));
                    g.writeEndObject();
                    binary.add(o);
                } else {
                    g.writeFieldName("data");
                    JsonTensor.write(g, outputs[o], 0, new int[] {n * sig.outputSize(o)});
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (binary.isEmpty()) {
            return new Response(bytes.toByteArray(), -1);
        }
        int jsonLength = bytes.size();
        int total = jsonLength;
        for (int o : binary) {
            total += 4 * n * sig.outputSize(o);
        }
        byte[] body = Arrays.copyOf(bytes.toByteArray(), total);
        ByteBuffer b = ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN);
        b.position(jsonLength);
        for (int o : binary) {
            b.asFloatBuffer().put(outputs[o], 0, n * sig.outputSize(o));
            b.position(b.position() + 4 * n * sig.outputSize(o));
        }
        return new Response(body, jsonLength);
    }
}
