package dlkit.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * TensorFlow Serving's REST predict: {@code {"instances": [...]}} (row form: one sample per element, an object of
 * input names for several inputs) answered with {@code {"predictions": [...]}}, or {@code {"inputs": ...}} (columnar:
 * one array per input) answered with {@code {"outputs": ...}}, as TF Serving does.
 */
final class TensorFlowServing {
    private TensorFlowServing() {}

    record Request(Rows rows, boolean rowForm) {}

    /** Per-input growable value lists for the row form. */
    private static final class Columns {
        final float[][] values;
        final int[] used;

        Columns(int inputs) {
            values = new float[inputs][64];
            used = new int[inputs];
        }

        void add(int i, JsonTensor t) {
            if (used[i] + t.count() > values[i].length) {
                values[i] = Arrays.copyOf(values[i], Math.max(values[i].length * 2, used[i] + t.count()));
            }
            System.arraycopy(t.values(), 0, values[i], used[i], t.count());
            used[i] += t.count();
        }
    }

    static Request parse(JsonFactory json, byte[] body, String model, Signature sig) {
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new BadRequest("the body: expected a JSON object {\"instances\": [...]} or {\"inputs\": ...}, got "
                        + JsonTensor.describe(p.currentToken()));
            }
            Request req = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                switch (field) {
                    case "instances", "inputs" -> {
                        if (req != null) {
                            throw new BadRequest("the body: give \"instances\" or \"inputs\", not both");
                        }
                        req = field.equals("instances") ? new Request(instances(p, v, model, sig), true) : new Request(columns(p, v, model, sig), false);
                    }
                    case "signature_name" -> {
                        if (v != JsonToken.VALUE_STRING || !p.getText().equals("serving_default")) {
                            throw new BadRequest("signature_name: model '" + model + "' has the one signature \"serving_default\"");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (req == null) {
                throw new BadRequest("the body: expected \"instances\" (a list of samples) or \"inputs\" (a batch per input)");
            }
            return req;
        } catch (IOException e) {
            throw new BadRequest("the body is not valid JSON: " + JsonTensor.why(e));
        }
    }

    /** A sample's shape is the input's, or a bare number for an input of one value. */
    private static void checkSample(JsonTensor t, int[] sample, String where) {
        boolean scalarOk = t.shape().length == 0 && Signature.size(sample) == 1;
        if (!scalarOk && !Arrays.equals(t.shape(), sample)) {
            throw new BadRequest(where + ": expected a sample shaped " + Arrays.toString(sample) + ", got " + JsonTensor.shapeText(t.shape()));
        }
    }

    private static Rows instances(JsonParser p, JsonToken v, String model, Signature sig) throws IOException {
        if (v != JsonToken.START_ARRAY) {
            throw new BadRequest("instances: expected a list of samples, got " + JsonTensor.describe(v));
        }
        JsonToken first = p.nextToken();
        int inputs = sig.inputs().size();
        if (first != JsonToken.START_OBJECT) {
            if (inputs > 1) {
                throw new BadRequest("instances: model '" + model + "' takes inputs " + sig.inputs() + ": give each instance as an object of them");
            }
            // One input: the whole list is a batch [n, ...sample] (or [n] of single values).
            int[] sample = sig.inputShapes().get(0);
            JsonTensor t = JsonTensor.readRest(p, first, "instances", Signature.size(sample));
            boolean flatSingles = t.shape().length == 1 && Signature.size(sample) == 1;
            if (t.count() == 0 || (!flatSingles && !Signature.isBatchOf(t.shape(), sample))) {
                throw new BadRequest("instances: expected samples shaped " + Arrays.toString(sample) + " for input '" + sig.inputs().get(0)
                        + "' (the list " + Signature.batchShape(sample) + "), got " + JsonTensor.shapeText(t.shape()));
            }
            return new Rows(new float[][] {t.values()}, t.shape()[0]);
        }
        Columns cols = new Columns(inputs);
        int n = 0;
        JsonToken t = first;
        while (t != JsonToken.END_ARRAY) {
            String where = "instances[" + n + "]";
            if (t != JsonToken.START_OBJECT) {
                throw new BadRequest(where + ": expected an object of " + sig.inputs() + " like the instances before it, got " + JsonTensor.describe(t));
            }
            boolean[] seen = new boolean[inputs];
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                int i = sig.inputs().indexOf(name);
                if (i < 0) {
                    throw new BadRequest(where + ": model '" + model + "' has no input '" + name + "'; its inputs are " + sig.inputs());
                }
                if (seen[i]) {
                    throw new BadRequest(where + ": input '" + name + "' given twice");
                }
                seen[i] = true;
                JsonTensor value = JsonTensor.read(p, where + "." + name, Signature.size(sig.inputShapes().get(i)));
                checkSample(value, sig.inputShapes().get(i), where + "." + name);
                cols.add(i, value);
            }
            for (int i = 0; i < inputs; i++) {
                if (!seen[i]) {
                    throw new BadRequest(where + ": missing input '" + sig.inputs().get(i) + "'");
                }
            }
            n++;
            t = p.nextToken();
        }
        if (n == 0) {
            throw new BadRequest("instances: the list is empty");
        }
        return new Rows(cols.values, n);
    }

    private static Rows columns(JsonParser p, JsonToken v, String model, Signature sig) throws IOException {
        int inputs = sig.inputs().size();
        float[][] arrays = new float[inputs][];
        int n = -1;
        if (v != JsonToken.START_OBJECT) {
            if (inputs > 1) {
                throw new BadRequest("inputs: model '" + model + "' takes inputs " + sig.inputs() + ": give an object of them");
            }
            JsonTensor t = JsonTensor.read(p, "inputs");
            return new Rows(new float[][] {batch(t, sig, 0, "inputs")}, t.shape()[0]);
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            int i = sig.inputs().indexOf(name);
            if (i < 0) {
                throw new BadRequest("inputs: model '" + model + "' has no input '" + name + "'; its inputs are " + sig.inputs());
            }
            if (arrays[i] != null) {
                throw new BadRequest("inputs." + name + ": given twice");
            }
            JsonTensor t = JsonTensor.read(p, "inputs." + name);
            arrays[i] = batch(t, sig, i, "inputs." + name);
            if (n >= 0 && t.shape()[0] != n) {
                throw new BadRequest("inputs." + name + ": " + t.shape()[0] + " samples, the inputs before it have " + n);
            }
            n = t.shape()[0];
        }
        for (int i = 0; i < inputs; i++) {
            if (arrays[i] == null) {
                throw new BadRequest("inputs: missing input '" + sig.inputs().get(i) + "'");
            }
        }
        return new Rows(arrays, n);
    }

    private static float[] batch(JsonTensor t, Signature sig, int i, String where) {
        int[] sample = sig.inputShapes().get(i);
        boolean flatSingles = t.shape().length == 1 && t.count() > 0 && Signature.size(sample) == 1;
        if (!flatSingles && !Signature.isBatchOf(t.shape(), sample)) {
            throw new BadRequest(where + ": expected a batch shaped " + Signature.batchShape(sample) + ", got " + JsonTensor.shapeText(t.shape()));
        }
        return t.values();
    }

    static byte[] response(JsonFactory json, Request req, Signature sig, float[][] outputs) {
        int n = req.rows().n();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 12 * outputs[0].length);
        try (JsonGenerator g = json.createGenerator(bytes)) {
            g.writeStartObject();
            int count = sig.outputs().size();
            if (req.rowForm()) {
                g.writeArrayFieldStart("predictions");
                for (int r = 0; r < n; r++) {
                    if (count == 1) {
                        JsonTensor.write(g, outputs[0], r * sig.outputSize(0), sig.outputShapes().get(0));
                        continue;
                    }
                    g.writeStartObject();
                    for (int o = 0; o < count; o++) {
                        g.writeFieldName(sig.outputs().get(o));
                        JsonTensor.write(g, outputs[o], r * sig.outputSize(o), sig.outputShapes().get(o));
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            } else if (count == 1) {
                g.writeFieldName("outputs");
                JsonTensor.write(g, outputs[0], 0, Signature.withBatch(n, sig.outputShapes().get(0)));
            } else {
                g.writeObjectFieldStart("outputs");
                for (int o = 0; o < count; o++) {
                    g.writeFieldName(sig.outputs().get(o));
                    JsonTensor.write(g, outputs[o], 0, Signature.withBatch(n, sig.outputShapes().get(o)));
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
