package dlkit.loss;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.layers.Activation;
import dlkit.tensor.Buf;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Keras' losses with reduction {@code sum_over_batch_size}: per-sample losses (means over the last axis for the
 * element-wise ones) averaged over the batch. Probabilities are clipped to [1e-7, 1−1e-7] as in Keras; with
 * {@code from_logits} the log-sum-exp form is used, which never overflows. When the model ends in softmax (or
 * sigmoid) and the loss is cross-entropy on probabilities, the gradient is taken straight to the logits:
 * {@code (p − y)/n}, exact and free of the 1/p blow-up.
 * JSON: a name ({@code "sparse_categorical_crossentropy"}) or {@code {"type": "huber", "delta": 1.0}}.
 */
@JsonSerialize(using = Loss.Writer.class)
@JsonDeserialize(using = Loss.Reader.class)
public record Loss(@NonNull Kind kind, boolean fromLogits, double delta) {
    static final double EPS = 1e-7;

    public enum Kind {
        SPARSE_CATEGORICAL_CROSSENTROPY("sparse_categorical_crossentropy"),
        CATEGORICAL_CROSSENTROPY("categorical_crossentropy"),
        BINARY_CROSSENTROPY("binary_crossentropy"),
        MEAN_SQUARED_ERROR("mean_squared_error"),
        MEAN_ABSOLUTE_ERROR("mean_absolute_error"),
        HUBER("huber");

        final String jsonName;

        Kind(String jsonName) {
            this.jsonName = jsonName;
        }

        public String jsonName() {
            return jsonName;
        }
    }

    public static final Loss SPARSE_CATEGORICAL_CROSSENTROPY = new Loss(Kind.SPARSE_CATEGORICAL_CROSSENTROPY, false, 1);
    public static final Loss CATEGORICAL_CROSSENTROPY = new Loss(Kind.CATEGORICAL_CROSSENTROPY, false, 1);
    public static final Loss BINARY_CROSSENTROPY = new Loss(Kind.BINARY_CROSSENTROPY, false, 1);
    public static final Loss MEAN_SQUARED_ERROR = new Loss(Kind.MEAN_SQUARED_ERROR, false, 1);
    public static final Loss MEAN_ABSOLUTE_ERROR = new Loss(Kind.MEAN_ABSOLUTE_ERROR, false, 1);
    public static final Loss HUBER = new Loss(Kind.HUBER, false, 1);

    public Loss {
        if (kind == null) {
            throw new IllegalArgumentException("loss kind must not be null");
        }
        if (!(delta > 0) || Double.isInfinite(delta)) {
            throw new IllegalArgumentException("delta: expected a positive number, got " + delta);
        }
        if (fromLogits && !isCrossEntropy(kind)) {
            throw new IllegalArgumentException("from_logits applies to cross-entropy losses only, not " + kind.jsonName);
        }
    }

    public @NonNull Loss withFromLogits(boolean fromLogits) {
        return new Loss(kind, fromLogits, delta);
    }

    public static @NonNull Loss huber(double delta) {
        return new Loss(Kind.HUBER, false, delta);
    }

    public @NonNull String name() {
        return kind.jsonName;
    }

    public boolean sparseLabels() {
        return kind == Kind.SPARSE_CATEGORICAL_CROSSENTROPY;
    }

    /** Label elements per sample for a model with {@code outputs} outputs per sample. */
    public int labelWidth(int outputs) {
        return sparseLabels() ? outputs == 0 ? 0 : 1 : outputs;
    }

    /** True when the gradient goes straight to the logits of a final {@code activation}. */
    public boolean fusesWith(@Nullable Activation activation) {
        if (fromLogits) {
            return false;
        }
        return (activation == Activation.SOFTMAX && (kind == Kind.SPARSE_CATEGORICAL_CROSSENTROPY || kind == Kind.CATEGORICAL_CROSSENTROPY))
                || (activation == Activation.SIGMOID && kind == Kind.BINARY_CROSSENTROPY);
    }

    private static boolean isCrossEntropy(Kind k) {
        return k == Kind.SPARSE_CATEGORICAL_CROSSENTROPY || k == Kind.CATEGORICAL_CROSSENTROPY || k == Kind.BINARY_CROSSENTROPY;
    }

    /**
     * Mean loss over {@code n} samples of {@code width} outputs in {@code pred}; when {@code grad} is given it receives
     * dLoss/dpred (or dLoss/dlogits when {@code fused}). {@code y} holds {@link #labelWidth} labels per sample.
     */
    public double compute(@NonNull Buf pred, float @NonNull [] y, int n, int width, @Nullable Buf grad, boolean fused) {
        double total = 0;
        double inv = 1.0 / n;
        switch (kind) {
            case SPARSE_CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY -> {
                boolean sparse = kind == Kind.SPARSE_CATEGORICAL_CROSSENTROPY;
                for (int r = 0; r < n; r++) {
                    int o = r * width;
                    if (fromLogits) {
                        total += logitsCrossEntropy(pred, y, r, o, width, sparse, grad, inv);
                    } else {
                        total += probCrossEntropy(pred, y, r, o, width, sparse, grad, inv, fused);
                    }
                }
            }
            case BINARY_CROSSENTROPY -> {
                double scale = inv / width;
                for (int i = 0, m = n * width; i < m; i++) {
                    double t = y[i];
                    double v = pred.get(i);
                    if (fromLogits) {
                        total += Math.max(v, 0) - v * t + Math.log1p(Math.exp(-Math.abs(v)));
                        if (grad != null) {
                            grad.set(i, (Activation.sigmoid(v) - t) * scale);
                        }
                    } else {
                        double p = Math.min(Math.max(v, EPS), 1 - EPS);
                        total += -(t * Math.log(p) + (1 - t) * Math.log(1 - p));
                        if (grad != null) {
                            if (fused) {
                                grad.set(i, (v - t) * scale);
                            } else {
                                boolean clipped = v < EPS || v > 1 - EPS;
                                grad.set(i, clipped ? 0 : (p - t) / (p * (1 - p)) * scale);
                            }
                        }
                    }
                }
                total /= width;
            }
            case MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR, HUBER -> {
                double scale = inv / width;
                for (int i = 0, m = n * width; i < m; i++) {
                    double e = pred.get(i) - y[i];
                    double a = Math.abs(e);
                    double l;
                    double g;
                    if (kind == Kind.MEAN_SQUARED_ERROR) {
                        l = e * e;
                        g = 2 * e;
                    } else if (kind == Kind.MEAN_ABSOLUTE_ERROR) {
                        l = a;
                        g = Math.signum(e);
                    } else if (a <= delta) {
                        l = 0.5 * e * e;
                        g = e;
                    } else {
                        l = delta * (a - 0.5 * delta);
                        g = delta * Math.signum(e);
                    }
                    total += l;
                    if (grad != null) {
                        grad.set(i, g * scale);
                    }
                }
                total /= width;
            }
        }
        return total * inv;
    }

    private static double logitsCrossEntropy(Buf z, float[] y, int r, int o, int width, boolean sparse, @Nullable Buf grad, double inv) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < width; j++) {
            max = Math.max(max, z.get(o + j));
        }
        double sum = 0;
        for (int j = 0; j < width; j++) {
            sum += Math.exp(z.get(o + j) - max);
        }
        double lse = max + Math.log(sum);
        double loss = 0;
        double ySum = 0;
        if (sparse) {
            int label = (int) y[r];
            loss = lse - z.get(o + label);
            ySum = 1;
        } else {
            for (int j = 0; j < width; j++) {
                double t = y[o + j];
                loss += t * (lse - z.get(o + j));
                ySum += t;
            }
        }
        if (grad != null) {
            for (int j = 0; j < width; j++) {
                double p = Math.exp(z.get(o + j) - lse);
                double t = sparse ? (j == (int) y[r] ? 1 : 0) : y[o + j];
                grad.set(o + j, (p * ySum - t) * inv);
            }
        }
        return loss;
    }

    private static double probCrossEntropy(Buf p, float[] y, int r, int o, int width, boolean sparse, @Nullable Buf grad, double inv, boolean fused) {
        // Keras normalises the rows to sum 1, then clips.
        double sum = 0;
        for (int j = 0; j < width; j++) {
            sum += p.get(o + j);
        }
        double loss = 0;
        double ySum = 0;
        for (int j = 0; j < width; j++) {
            double t = sparse ? (j == (int) y[r] ? 1 : 0) : y[o + j];
            if (t != 0) {
                double q = Math.min(Math.max(p.get(o + j) / sum, EPS), 1 - EPS);
                loss -= t * Math.log(q);
            }
            ySum += t;
        }
        if (grad != null) {
            for (int j = 0; j < width; j++) {
                double t = sparse ? (j == (int) y[r] ? 1 : 0) : y[o + j];
                double pj = p.get(o + j);
                if (fused) {
                    grad.set(o + j, (pj / sum * ySum - t) * inv);
                } else {
                    double q = pj / sum;
                    boolean clipped = q < EPS || q > 1 - EPS;
                    double g = (t != 0 && !clipped ? -t / pj : 0) + ySum / sum;
                    grad.set(o + j, g * inv);
                }
            }
        }
        return loss;
    }

    /** Accepts Keras' names and aliases ({@code "mse"}, {@code "mae"}). */
    public static @NonNull Loss fromName(@NonNull String name) {
        String n = switch (name) {
            case "mse" -> "mean_squared_error";
            case "mae" -> "mean_absolute_error";
            default -> name;
        };
        for (Kind k : Kind.values()) {
            if (k.jsonName.equals(n)) {
                return new Loss(k, false, 1);
            }
        }
        List<String> known = Arrays.stream(Kind.values()).map(Kind::jsonName).toList();
        String hint = Json.suggest(name, known);
        throw new ConfigException(null, "unknown loss \"" + name + "\"" + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + known));
    }

    static final class Writer extends StdSerializer<Loss> {
        Writer() {
            super(Loss.class);
        }

        @Override
        public void serialize(Loss l, JsonGenerator g, SerializerProvider p) throws IOException {
            if (!l.fromLogits && l.delta == 1) {
                g.writeString(l.kind.jsonName);
                return;
            }
            g.writeStartObject();
            g.writeStringField("type", l.kind.jsonName);
            if (isCrossEntropy(l.kind)) {
                g.writeBooleanField("from_logits", l.fromLogits);
            }
            if (l.kind == Kind.HUBER) {
                g.writeNumberField("delta", l.delta);
            }
            g.writeEndObject();
        }
    }

    static final class Reader extends StdDeserializer<Loss> {
        Reader() {
            super(Loss.class);
        }

        @Override
        public Loss deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            JsonNode node = ctx.readTree(p);
            if (node.isTextual()) {
                return fromName(node.asText());
            }
            if (!node.isObject() || !node.path("type").isTextual()) {
                throw new ConfigException(null, "a loss is a name such as \"sparse_categorical_crossentropy\" or an object with \"type\", got " + node);
            }
            Loss base = fromName(node.get("type").asText());
            boolean fromLogits = false;
            double delta = 1;
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                switch (f) {
                    case "type" -> { }
                    case "from_logits" -> {
                        if (!node.get(f).isBoolean()) {
                            throw new ConfigException("from_logits", "expected true or false, got " + node.get(f));
                        }
                        fromLogits = node.get(f).asBoolean();
                    }
                    case "delta" -> {
                        if (!node.get(f).isNumber()) {
                            throw new ConfigException("delta", "expected a number, got " + node.get(f));
                        }
                        delta = node.get(f).asDouble();
                    }
                    default -> throw new ConfigException(f, "unknown key in loss (known keys: type, from_logits, delta)");
                }
            }
            try {
                return new Loss(base.kind, fromLogits, delta);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(null, e.getMessage());
            }
        }
    }
}
