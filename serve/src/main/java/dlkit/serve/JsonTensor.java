package dlkit.serve;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;

/**
 * A JSON number array, flat or nested to any depth, read token by token straight into floats (no tree of boxed
 * numbers for a large body): its values in row-major order and the shape its nesting gives. Ragged nesting, and
 * anything but numbers and arrays, is a {@link BadRequest} naming {@code where}.
 */
record JsonTensor(float[] values, int count, int[] shape, boolean integral) {
    /** Deeper nesting than any model's samples (rank 8 and a batch axis) is refused before it costs a stack. */
    static final int MAX_RANK = 16;

    /** Reads the value at the parser's current token: a number (shape []) or an array. */
    static JsonTensor read(JsonParser p, String where) throws IOException {
        return read(p, where, 64);
    }

    /** As {@link #read(JsonParser, String)}, with room for {@code expected} values from the start (grown if more come). */
    static JsonTensor read(JsonParser p, String where, int expected) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
            return new JsonTensor(new float[] {p.getFloatValue()}, 1, new int[0], t == JsonToken.VALUE_NUMBER_INT);
        }
        if (t != JsonToken.START_ARRAY) {
            throw new BadRequest(where + ": expected a number or an array of numbers, got " + describe(t));
        }
        return readRest(p, p.nextToken(), where, expected);
    }

    /** An array whose {@code [} the caller has read, and whose first token after it is {@code first}. */
    static JsonTensor readRest(JsonParser p, JsonToken first, String where, int expected) throws IOException {
        JsonToken t = first;
        int[] dims = new int[MAX_RANK];
        Arrays.fill(dims, -1);
        int[] counts = new int[MAX_RANK];
        int depth = 1;
        int leaf = -1;
        boolean integral = true;
        float[] values = new float[Math.max(1, Math.min(expected, 1 << 20))];
        int n = 0;
        while (true) {
            if (t == null) {
                throw new BadRequest(where + ": the body ends inside the array");
            }
            switch (t) {
                case START_ARRAY -> {
                    if (leaf >= 0 && depth >= leaf) {
                        throw new BadRequest(where + ": ragged nesting: an array where numbers were at depth " + depth);
                    }
                    if (depth == MAX_RANK) {
                        throw new BadRequest(where + ": arrays nested deeper than " + MAX_RANK);
                    }
                    counts[depth - 1]++;
                    counts[depth] = 0;
                    depth++;
                }
                case END_ARRAY -> {
                    int size = counts[depth - 1];
                    if (dims[depth - 1] < 0) {
                        dims[depth - 1] = size;
                    } else if (dims[depth - 1] != size) {
                        throw new BadRequest(where + ": ragged nesting: arrays of " + dims[depth - 1] + " and of " + size + " at depth " + depth);
                    }
                    depth--;
                }
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                    if (leaf < 0) {
                        leaf = depth;
                    } else if (depth != leaf) {
                        throw new BadRequest(where + ": ragged nesting: numbers at depths " + leaf + " and " + depth);
                    }
                    counts[depth - 1]++;
                    integral &= t == JsonToken.VALUE_NUMBER_INT;
                    if (n == values.length) {
                        values = Arrays.copyOf(values, values.length * 2);
                    }
                    values[n++] = p.getFloatValue();
                }
                default -> throw new BadRequest(where + ": expected a number or an array of numbers, got " + describe(t));
            }
            if (depth == 0) {
                break;
            }
            t = p.nextToken();
        }
        int rank = 0;
        while (rank < MAX_RANK && dims[rank] >= 0) {
            rank++;
        }
        return new JsonTensor(values, n, Arrays.copyOf(dims, rank), integral);
    }

    static String describe(JsonToken t) {
        if (t == null) {
            return "the end of the body";
        }
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    /** A parse error's own message, without Jackson's source excerpt. */
    static String why(IOException e) {
        return e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : String.valueOf(e.getMessage());
    }

    static String shapeText(int[] shape) {
        return Arrays.toString(shape);
    }

    /** {@code values[from, from + prod(shape))} as arrays nested to {@code shape} (a number when the shape is []). */
    static void write(JsonGenerator g, float[] values, int from, int[] shape) throws IOException {
        if (shape.length == 0) {
            g.writeNumber(values[from]);
            return;
        }
        writeAxis(g, values, from, shape, 0);
    }

    private static int writeAxis(JsonGenerator g, float[] values, int at, int[] shape, int axis) throws IOException {
        g.writeStartArray();
        if (axis == shape.length - 1) {
            for (int i = 0; i < shape[axis]; i++) {
                g.writeNumber(values[at++]);
            }
        } else {
            for (int i = 0; i < shape[axis]; i++) {
                at = writeAxis(g, values, at, shape, axis + 1);
            }
        }
        g.writeEndArray();
        return at;
    }
}
