package dlkit.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The Open Inference Protocol's REST infer (KServe v2, as Triton and Seldon speak it): {@code {"id", "inputs": [{"name",
 * "shape", "datatype", "data"}], "outputs": [{"name"}]}} in, {@code {"model_name", "id", "outputs": [...]}} out.
 */
final class OpenInference {
    private OpenInference() {}

    static final Set<String> DATATYPES = Set.of("FP32", "FP64", "INT32", "INT64");

    /** A parsed infer request: the rows in model input order, its id, and the outputs asked for (all when null). */
    record Request(Rows rows, @Nullable String id, @Nullable List<String> outputs) {}

    private static final class Input {
        @Nullable String name;
        int @Nullable [] shape;
        @Nullable String datatype;
        @Nullable JsonTensor data;
    }

    static Request parse(JsonFactory json, byte[] body, String model, Signature sig) {
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadRequest("the body: expected a JSON object {\"inputs\": [...]}, got " + JsonTensor.describe(p.currentToken()));
            }
            String id = null;
            List<Input> inputs = null;
            List<String> outputs = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "id" -> id = string(p, v, "id");
                    case "inputs" -> inputs = inputs(p, v);
                    case "outputs" -> outputs = outputNames(p, v, sig);
                    default -> p.skipChildren();
                }
            }
            if (inputs == null) {
                throw new BadRequest("the body: missing \"inputs\"");
            }
            return new Request(rows(inputs, model, sig), id, outputs);
        } catch (IOException e) {
            throw new BadRequest("the body is not valid JSON: " + JsonTensor.why(e));
        }
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
                    case "data" -> in.data = JsonTensor.read(p, where + ".data");
                    default -> p.skipChildren();
                }
            }
            list.add(in);
        }
        return list;
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

    private static List<String> outputNames(JsonParser p, JsonToken v, Signature sig) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            throw new BadRequest("outputs: expected an array of {\"name\"}, got " + JsonTensor.describe(v));
        }
        List<String> names = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            String where = "outputs[" + names.size() + "]";
            if (t != JsonToken.START_OBJECT) {
                throw new BadRequest(where + ": expected an object {\"name\"}, got " + JsonTensor.describe(t));
            }
            String name = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken f = p.nextToken();
                if (field.equals("name")) {
                    name = string(p, f, where + ".name");
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
        }
        return names;
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
            if (in.datatype == null || in.shape == null || in.data == null) {
                throw new BadRequest("input '" + in.name + "': missing \"" + (in.datatype == null ? "datatype" : in.shape == null ? "shape" : "data") + "\"; " + expected);
            }
            if (!DATATYPES.contains(in.datatype)) {
                throw new BadRequest("input '" + in.name + "': datatype " + in.datatype + " is not supported; " + expected);
            }
            if (!Signature.isBatchOf(in.shape, sample)) {
                throw new BadRequest("input '" + in.name + "': " + expected + ", got shape " + JsonTensor.shapeText(in.shape));
            }
            long values = (long) in.shape[0] * Signature.size(sample);
            if (in.data.count() != values) {
                throw new BadRequest("input '" + in.name + "': shape " + JsonTensor.shapeText(in.shape) + " holds " + values + " values, \"data\" has " + in.data.count());
            }
            if (in.datatype.startsWith("INT") && !in.data.integral()) {
                throw new BadRequest("input '" + in.name + "': datatype " + in.datatype + " takes integers, \"data\" holds other numbers");
            }
            if (n >= 0 && in.shape[0] != n) {
                throw new BadRequest("input '" + in.name + "': " + in.shape[0] + " samples, the inputs before it have " + n);
            }
            n = in.shape[0];
            arrays[i] = in.data.values();
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

    /** The infer response: each asked-for output as {@code {"name", "datatype": "FP32", "shape": [n, …], "data": [flat]}}. */
    static byte[] response(JsonFactory json, String model, Request req, Signature sig, float[][] outputs) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 12 * outputs[0].length);
        try (JsonGenerator g = json.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeStringField("model_name", model);
            g.writeStringField("model_version", "1");
            if (req.id() != null) {
                g.writeStringField("id", req.id());
            }
            g.writeArrayFieldStart("outputs");
            int n = req.rows().n();
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
                g.writeFieldName("data");
                JsonTensor.write(g, outputs[o], 0, new int[] {n * sig.outputSize(o)});
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
