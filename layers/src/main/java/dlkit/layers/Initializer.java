package dlkit.layers;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;

/**
 * Weight initializers with Keras' names and formulas. In JSON a parameterless initializer is its name
 * ({@code "glorot_uniform"}); one with parameters is an object ({@code {"type": "constant", "value": 0.5}}).
 */
@JsonSerialize(using = Initializer.Json.Writer.class)
@JsonDeserialize(using = Initializer.Json.Reader.class)
public sealed interface Initializer {
    Initializer GLOROT_UNIFORM = new Named("glorot_uniform");
    Initializer GLOROT_NORMAL = new Named("glorot_normal");
    Initializer HE_UNIFORM = new Named("he_uniform");
    Initializer HE_NORMAL = new Named("he_normal");
    Initializer ZEROS = new Named("zeros");
    Initializer ONES = new Named("ones");
    Initializer ORTHOGONAL = new Orthogonal(1.0);

    /** Keras' "uniform" (RandomUniform), the default for Embedding: U(-0.05, 0.05). */
    Initializer UNIFORM = new Uniform(-0.05, 0.05);

    List<String> NAMES = List.of("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "zeros", "ones", "constant", "orthogonal", "uniform");

    static @NonNull Initializer uniform(double minval, double maxval) {
        return new Uniform(minval, maxval);
    }

    static @NonNull Initializer constant(double value) {
        return new Constant(value);
    }

    static @NonNull Initializer orthogonal(double gain) {
        return new Orthogonal(gain);
    }

    /** Fills {@code out} (row-major, {@code shape} with the output axis last) from {@code rng}. */
    void fill(double @NonNull [] out, int @NonNull [] shape, @NonNull SplittableRandom rng);

    /** The parameterless ones. */
    record Named(String name) implements Initializer {
        public Named {
            if (!List.of("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "zeros", "ones").contains(name)) {
                throw new IllegalArgumentException("unknown initializer \"" + name + "\"; expected one of " + NAMES);
            }
        }

        @Override
        public void fill(double[] out, int[] shape, SplittableRandom rng) {
            int[] fans = fans(shape);
            switch (name) {
                case "zeros" -> java.util.Arrays.fill(out, 0);
                case "ones" -> java.util.Arrays.fill(out, 1);
                case "glorot_uniform" -> uniform(out, Math.sqrt(6.0 / (fans[0] + fans[1])), rng);
                case "he_uniform" -> uniform(out, Math.sqrt(6.0 / fans[0]), rng);
                case "glorot_normal" -> truncatedNormal(out, Math.sqrt(2.0 / (fans[0] + fans[1])), rng);
                case "he_normal" -> truncatedNormal(out, Math.sqrt(2.0 / fans[0]), rng);
                default -> throw new IllegalStateException(name);
            }
        }
    }

    /**
     * Keras' {@code unit_forget_bias}: the bias initializer everywhere, then ones on the forget gate's block
     * {@code [units, 2 * units)} of an LSTM bias. Built by the layer, never written to JSON.
     */
    record UnitForgetBias(Initializer base, int units) implements Initializer {
        @Override
        public void fill(double[] out, int[] shape, SplittableRandom rng) {
            base.fill(out, shape, rng);
            java.util.Arrays.fill(out, units, 2 * units, 1.0);
        }
    }

    record Uniform(double minval, double maxval) implements Initializer {
        public Uniform {
            if (!(minval <= maxval)) {
                throw new IllegalArgumentException("uniform initializer: expected minval <= maxval, got " + minval + " and " + maxval);
            }
        }

        @Override
        public void fill(double[] out, int[] shape, SplittableRandom rng) {
            for (int i = 0; i < out.length; i++) {
                out[i] = minval + rng.nextDouble() * (maxval - minval);
            }
        }
    }

    record Constant(double value) implements Initializer {
        @Override
        public void fill(double[] out, int[] shape, SplittableRandom rng) {
            java.util.Arrays.fill(out, value);
        }
    }

    /** Keras' Orthogonal: QR of a normal matrix (rows = product of leading axes, cols = last axis), sign-fixed. */
    record Orthogonal(double gain) implements Initializer {
        @Override
        public void fill(double[] out, int[] shape, SplittableRandom rng) {
            int cols = shape[shape.length - 1];
            int rows = out.length / cols;
            int m = Math.max(rows, cols);
            int k = Math.min(rows, cols);
            // Columns of a (m×k) Gaussian matrix, orthonormalised by modified Gram–Schmidt (equivalent to QR with
            // the sign of diag(R) made positive, which is what Keras does after its QR).
            double[][] q = new double[k][m];
            for (int j = 0; j < k; j++) {
                for (int i = 0; i < m; i++) {
                    q[j][i] = rng.nextGaussian();
                }
                for (int p = 0; p < j; p++) {
                    double dot = 0;
                    for (int i = 0; i < m; i++) {
                        dot += q[p][i] * q[j][i];
                    }
                    for (int i = 0; i < m; i++) {
                        q[j][i] -= dot * q[p][i];
                    }
                }
                double norm = 0;
                for (int i = 0; i < m; i++) {
                    norm += q[j][i] * q[j][i];
                }
                norm = Math.sqrt(norm);
                for (int i = 0; i < m; i++) {
                    q[j][i] /= norm;
                }
            }
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    // rows >= cols: out = Q (m×k) ; rows < cols: out = Qᵀ (k×m)
                    out[r * cols + c] = gain * (rows >= cols ? q[c][r] : q[r][c]);
                }
            }
        }
    }

    /** Keras' fan computation: for a kernel [..receptive.., in, out], fan_in = receptive·in, fan_out = receptive·out. */
    static int[] fans(int[] shape) {
        if (shape.length == 1) {
            return new int[] {shape[0], shape[0]};
        }
        int receptive = 1;
        for (int i = 0; i < shape.length - 2; i++) {
            receptive *= shape[i];
        }
        return new int[] {receptive * shape[shape.length - 2], receptive * shape[shape.length - 1]};
    }

    private static void uniform(double[] out, double limit, SplittableRandom rng) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (rng.nextDouble() * 2 - 1) * limit;
        }
    }

    /** Keras' variance-scaling normal: truncated at 2σ, σ corrected by 0.8796 so the variance stays 2/fan. */
    private static void truncatedNormal(double[] out, double stddev, SplittableRandom rng) {
        double s = stddev / 0.87962566103423978;
        for (int i = 0; i < out.length; i++) {
            double v;
            do {
                v = rng.nextGaussian();
            } while (Math.abs(v) > 2);
            out[i] = v * s;
        }
    }

    final class Json {
        private Json() {}

        static final class Writer extends StdSerializer<Initializer> {
            Writer() {
                super(Initializer.class);
            }

            @Override
            public void serialize(Initializer init, JsonGenerator g, SerializerProvider p) throws IOException {
                if (init instanceof Named n) {
                    g.writeString(n.name());
                } else if (init instanceof Constant c) {
                    g.writeStartObject();
                    g.writeStringField("type", "constant");
                    g.writeNumberField("value", c.value());
                    g.writeEndObject();
                } else if (init instanceof Orthogonal o) {
                    g.writeStartObject();
                    g.writeStringField("type", "orthogonal");
                    g.writeNumberField("gain", o.gain());
                    g.writeEndObject();
                } else if (init instanceof Uniform u) {
                    g.writeStartObject();
                    g.writeStringField("type", "uniform");
                    g.writeNumberField("minval", u.minval());
                    g.writeNumberField("maxval", u.maxval());
                    g.writeEndObject();
                } else {
                    throw new IllegalStateException(init + " is built by a layer and has no JSON form");
                }
            }
        }

        static final class Reader extends StdDeserializer<Initializer> {
            Reader() {
                super(Initializer.class);
            }

            @Override
            public Initializer deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
                JsonNode node = ctx.readTree(p);
                if (node.isTextual()) {
                    String name = node.asText();
                    return switch (name) {
                        case "constant" -> new Constant(0);
                        case "orthogonal" -> ORTHOGONAL;
                        case "uniform", "random_uniform" -> UNIFORM;
                        default -> new Named(name);
                    };
                }
                if (!node.isObject() || !node.has("type")) {
                    throw new IllegalArgumentException("an initializer is a name such as \"glorot_uniform\" or an object with \"type\", got " + node);
                }
                String type = node.get("type").asText();
                for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                    String f = it.next();
                    boolean known = f.equals("type") || (type.equals("constant") && f.equals("value")) || (type.equals("orthogonal") && f.equals("gain"))
                            || (type.equals("uniform") && (f.equals("minval") || f.equals("maxval")));
                    if (!known) {
                        throw new IllegalArgumentException("unknown key \"" + f + "\" in initializer \"" + type + "\"");
                    }
                }
                return switch (type) {
                    case "constant" -> new Constant(node.path("value").asDouble(0));
                    case "orthogonal" -> new Orthogonal(node.path("gain").asDouble(1));
                    case "uniform" -> new Uniform(node.path("minval").asDouble(-0.05), node.path("maxval").asDouble(0.05));
                    default -> new Named(type);
                };
            }
        }
    }
}
