package dlkit.metrics;

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
import dlkit.loss.Loss;
import dlkit.tensor.Buf;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * Metrics reported during training and evaluation, accumulated over a whole epoch or data set (not averaged per
 * batch). {@code accuracy} resolves against the loss as in Keras: class index labels for sparse cross-entropy,
 * one-hot for categorical, a 0.5 threshold for binary. Precision, recall and F1 are macro averages over classes
 * (the positive class for a single sigmoid output); per-class values come from {@link ConfusionMatrix}.
 */
@JsonSerialize(using = Metric.Writer.class)
@JsonDeserialize(using = Metric.Reader.class)
public record Metric(@NonNull Kind kind, int k) {
    public enum Kind {
        ACCURACY("accuracy"),
        SPARSE_CATEGORICAL_ACCURACY("sparse_categorical_accuracy"),
        CATEGORICAL_ACCURACY("categorical_accuracy"),
        BINARY_ACCURACY("binary_accuracy"),
        TOP_K_ACCURACY("top_k_accuracy"),
        PRECISION("precision"),
        RECALL("recall"),
        F1_SCORE("f1_score"),
        MAE("mae"),
        MSE("mse");

        final String jsonName;

        Kind(String jsonName) {
            this.jsonName = jsonName;
        }
    }

    public static final Metric ACCURACY = new Metric(Kind.ACCURACY, 5);
    public static final Metric SPARSE_CATEGORICAL_ACCURACY = new Metric(Kind.SPARSE_CATEGORICAL_ACCURACY, 5);
    public static final Metric CATEGORICAL_ACCURACY = new Metric(Kind.CATEGORICAL_ACCURACY, 5);
    public static final Metric BINARY_ACCURACY = new Metric(Kind.BINARY_ACCURACY, 5);
    public static final Metric PRECISION = new Metric(Kind.PRECISION, 5);
    public static final Metric RECALL = new Metric(Kind.RECALL, 5);
    public static final Metric F1_SCORE = new Metric(Kind.F1_SCORE, 5);
    public static final Metric MAE = new Metric(Kind.MAE, 5);
    public static final Metric MSE = new Metric(Kind.MSE, 5);

    public Metric {
        if (k < 1) {
            throw new IllegalArgumentException("k: expected a positive integer, got " + k);
        }
    }

    /** Keras' {@code top_k_categorical_accuracy} (default k = 5). */
    public static @NonNull Metric topK(int k) {
        return new Metric(Kind.TOP_K_ACCURACY, k);
    }

    /** The key in logs and history ({@code accuracy}, {@code val_accuracy}). */
    public @NonNull String name() {
        return kind.jsonName;
    }

    public @NonNull Accumulator newAccumulator(@NonNull Loss loss, int width) {
        LabelKind labels = loss.sparseLabels() ? LabelKind.SPARSE
                : (width == 1 || loss.kind() == Loss.Kind.BINARY_CROSSENTROPY) ? LabelKind.BINARY : LabelKind.ONE_HOT;
        switch (kind) {
            case SPARSE_CATEGORICAL_ACCURACY -> labels = LabelKind.SPARSE;
            case CATEGORICAL_ACCURACY -> labels = LabelKind.ONE_HOT;
            case BINARY_ACCURACY -> labels = LabelKind.BINARY;
            default -> { }
        }
        final LabelKind lk = labels;
        return switch (kind) {
            case ACCURACY, SPARSE_CATEGORICAL_ACCURACY, CATEGORICAL_ACCURACY, BINARY_ACCURACY -> new Accuracy(lk, 1);
            case TOP_K_ACCURACY -> new Accuracy(lk == LabelKind.BINARY ? LabelKind.ONE_HOT : lk, k);
            case PRECISION, RECALL, F1_SCORE -> new FromConfusion(kind, lk, width);
            case MAE, MSE -> new Errors(kind == Kind.MSE);
        };
    }

    /** How labels are stored per sample. */
    public enum LabelKind { SPARSE, ONE_HOT, BINARY }

    /** Running state of one metric over many batches; no allocation per batch. */
    public interface Accumulator {
        void reset();

        void update(@NonNull Buf pred, float @NonNull [] y, int n, int width);

        double result();

        /** The running totals, for checkpoints that resume mid-epoch; {@link #restore} puts them back exactly. */
        double @NonNull [] state();

        void restore(double @NonNull [] state);
    }

    /** The predicted and true class of a sample, for class metrics. */
    public static int predictedClass(@NonNull Buf pred, int o, int width, @NonNull LabelKind lk) {
        if (lk == LabelKind.BINARY && width == 1) {
            return pred.get(o) > 0.5 ? 1 : 0;
        }
        int best = 0;
        double bv = pred.get(o);
        for (int j = 1; j < width; j++) {
            double v = pred.get(o + j);
            if (v > bv) {
                bv = v;
                best = j;
            }
        }
        return best;
    }

    public static int trueClass(float @NonNull [] y, int r, int width, @NonNull LabelKind lk) {
        if (lk == LabelKind.SPARSE) {
            return (int) y[r];
        }
        if (lk == LabelKind.BINARY && width == 1) {
            return y[r] > 0.5 ? 1 : 0;
        }
        int o = r * width;
        int best = 0;
        for (int j = 1; j < width; j++) {
            if (y[o + j] > y[o + best]) {
                best = j;
            }
        }
        return best;
    }

    static final class Accuracy implements Accumulator {
        private final LabelKind lk;
        private final int k;
        private long correct;
        private long total;

        Accuracy(LabelKind lk, int k) {
            this.lk = lk;
            this.k = k;
        }

        @Override
        public void reset() {
            correct = 0;
            total = 0;
        }

        @Override
        public void update(Buf pred, float[] y, int n, int width) {
            if (lk == LabelKind.BINARY && k == 1) {
                // Element-wise, as Keras' binary_accuracy.
                for (int i = 0, m = n * width; i < m; i++) {
                    if ((pred.get(i) > 0.5) == (y[i] > 0.5)) {
                        correct++;
                    }
                }
                total += (long) n * width;
                return;
            }
            for (int r = 0; r < n; r++) {
                int o = r * width;
                int t = trueClass(y, r, width, lk);
                if (k == 1) {
                    if (predictedClass(pred, o, width, lk) == t) {
                        correct++;
                    }
                } else {
                    // In the top k when fewer than k classes score strictly higher than the true one.
                    double tv = pred.get(o + t);
                    int higher = 0;
                    for (int j = 0; j < width; j++) {
                        if (pred.get(o + j) > tv) {
                            higher++;
                        }
                    }
                    if (higher < k) {
                        correct++;
                    }
                }
            }
            total += n;
        }

        @Override
        public double result() {
            return total == 0 ? 0 : (double) correct / total;
        }

        @Override
        public double[] state() {
            return new double[] {correct, total};
        }

        @Override
        public void restore(double[] s) {
            correct = (long) s[0];
            total = (long) s[1];
        }
    }

    static final class FromConfusion implements Accumulator {
        private final Kind kind;
        private final LabelKind lk;
        private final ConfusionMatrix cm;

        FromConfusion(Kind kind, LabelKind lk, int width) {
            this.kind = kind;
            this.lk = lk;
            this.cm = new ConfusionMatrix(width == 1 ? 2 : width);
        }

        @Override
        public void reset() {
            cm.reset();
        }

        @Override
        public void update(Buf pred, float[] y, int n, int width) {
            for (int r = 0; r < n; r++) {
                cm.add(trueClass(y, r, width, lk), predictedClass(pred, r * width, width, lk));
            }
        }

        @Override
        public double result() {
            boolean binary = cm.classes() == 2 && lk == LabelKind.BINARY;
            return switch (kind) {
                case PRECISION -> binary ? cm.precision(1) : cm.macroPrecision();
                case RECALL -> binary ? cm.recall(1) : cm.macroRecall();
                default -> binary ? cm.f1(1) : cm.macroF1();
            };
        }

        @Override
        public double[] state() {
            int c = cm.classes();
            double[] s = new double[c * c];
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < c; j++) {
                    s[i * c + j] = cm.count(i, j);
                }
            }
            return s;
        }

        @Override
        public void restore(double[] s) {
            int c = cm.classes();
            cm.reset();
            for (int i = 0; i < c; i++) {
                for (int j = 0; j < c; j++) {
                    cm.add(i, j, (long) s[i * c + j]);
                }
            }
        }
    }

    static final class Errors implements Accumulator {
        private final boolean squared;
        private double sum;
        private long count;

        Errors(boolean squared) {
            this.squared = squared;
        }

        @Override
        public void reset() {
            sum = 0;
            count = 0;
        }

        @Override
        public void update(Buf pred, float[] y, int n, int width) {
            for (int i = 0, m = n * width; i < m; i++) {
                double e = pred.get(i) - y[i];
                sum += squared ? e * e : Math.abs(e);
            }
            count += (long) n * width;
        }

        @Override
        public double result() {
            return count == 0 ? 0 : sum / count;
        }

        @Override
        public double[] state() {
            return new double[] {sum, count};
        }

        @Override
        public void restore(double[] s) {
            sum = s[0];
            count = (long) s[1];
        }
    }

    public static @NonNull Metric fromName(@NonNull String name) {
        String n = switch (name) {
            case "acc" -> "accuracy";
            case "mean_absolute_error" -> "mae";
            case "mean_squared_error" -> "mse";
            case "f1" -> "f1_score";
            case "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy" -> "top_k_accuracy";
            default -> name;
        };
        for (Kind k : Kind.values()) {
            if (k.jsonName.equals(n)) {
                return new Metric(k, 5);
            }
        }
        List<String> known = Arrays.stream(Kind.values()).map(k -> k.jsonName).toList();
        String hint = Json.suggest(name, known);
        throw new ConfigException(null, "unknown metric \"" + name + "\"" + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + known));
    }

    static final class Writer extends StdSerializer<Metric> {
        Writer() {
            super(Metric.class);
        }

        @Override
        public void serialize(Metric m, JsonGenerator g, SerializerProvider p) throws IOException {
            if (m.kind != Kind.TOP_K_ACCURACY || m.k == 5) {
                g.writeString(m.name());
                return;
            }
            g.writeStartObject();
            g.writeStringField("type", m.name());
            g.writeNumberField("k", m.k);
            g.writeEndObject();
        }
    }

    static final class Reader extends StdDeserializer<Metric> {
        Reader() {
            super(Metric.class);
        }

        @Override
        public Metric deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
            JsonNode node = ctx.readTree(p);
            if (node.isTextual()) {
                return fromName(node.asText());
            }
            if (!node.isObject() || !node.path("type").isTextual()) {
                throw new ConfigException(null, "a metric is a name such as \"accuracy\" or an object with \"type\", got " + node);
            }
            Metric base = fromName(node.get("type").asText());
            int k = 5;
            for (var it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (f.equals("k")) {
                    k = Json.integer(node.get(f), "k", 1, Integer.MAX_VALUE, "a positive integer");
                } else if (!f.equals("type")) {
                    throw new ConfigException(f, "unknown key in metric (known keys: type, k)");
                }
            }
            return new Metric(base.kind, k);
        }
    }
}
