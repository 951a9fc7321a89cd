package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import dlkit.ConfigException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * The values one setting may take, as a search space names them: {@code {"uniform": [lo, hi]}}, {@code
 * {"log_uniform": [lo, hi]}} (both with an optional {@code "q"} step), {@code {"int_uniform": [lo, hi]}} (optional
 * {@code "step"}), {@code {"choice": [v1, v2, …]}} (any JSON values: numbers, strings, whole layer objects).
 */
public sealed interface Distribution {
    /** A value drawn at random: uniformly, log-uniformly for log_uniform. */
    @NonNull JsonNode sample(@NonNull SplittableRandom random);

    /** Every value, for grid search; a continuous range without a step has none to list. */
    @NonNull List<JsonNode> grid(@NonNull String path);

    /** A numeric range: its values as TPE models them (logs for log_uniform), between {@link #low} and {@link #high}. */
    sealed interface Numeric extends Distribution {
        double low();

        double high();

        double internal(@NonNull JsonNode value);

        /** The setting for an internal value: rounded to the step, clamped to the range. */
        @NonNull JsonNode external(double internal);

        @Override
        default @NonNull JsonNode sample(@NonNull SplittableRandom random) {
            return external(low() + random.nextDouble() * (high() - low()));
        }
    }

    record Uniform(double lo, double hi, @Nullable Double q) implements Numeric {
        public double low() {
            return lo;
        }

        public double high() {
            return hi;
        }

        public double internal(@NonNull JsonNode value) {
            return value.asDouble();
        }

        public @NonNull JsonNode external(double x) {
            return DoubleNode.valueOf(stepped(x, lo, hi, q));
        }

        public @NonNull List<JsonNode> grid(@NonNull String path) {
            return steps(path, lo, hi, q, this::external);
        }
    }

    record LogUniform(double lo, double hi, @Nullable Double q) implements Numeric {
        public double low() {
            return Math.log(lo);
        }

        public double high() {
            return Math.log(hi);
        }

        public double internal(@NonNull JsonNode value) {
            return Math.log(value.asDouble());
        }

        public @NonNull JsonNode external(double x) {
            return DoubleNode.valueOf(stepped(Math.exp(x), lo, hi, q));
        }

        public @NonNull List<JsonNode> grid(@NonNull String path) {
            return steps(path, lo, hi, q, v -> DoubleNode.valueOf(stepped(v, lo, hi, q)));
        }
    }

    record IntUniform(long lo, long hi, long step) implements Numeric {
        public double low() {
            return lo - 0.5;
        }

        public double high() {
            return hi + 0.5;
        }

        public double internal(@NonNull JsonNode value) {
            return value.asLong();
        }

        public @NonNull JsonNode external(double x) {
            long k = Math.round((x - lo) / step);
            return LongNode.valueOf(Math.max(lo, Math.min(lo + k * step, hi - (hi - lo) % step)));
        }

        public @NonNull List<JsonNode> grid(@NonNull String path) {
            checkGridCount(path, (double) (hi - lo) / step + 1);
            List<JsonNode> out = new ArrayList<>();
            for (long v = lo; v <= hi; v += step) {
                out.add(LongNode.valueOf(v));
            }
            return out;
        }
    }

    record Choice(@NonNull List<JsonNode> values) implements Distribution {
        public @NonNull JsonNode sample(@NonNull SplittableRandom random) {
            return values.get(random.nextInt(values.size()));
        }

        public @NonNull List<JsonNode> grid(@NonNull String path) {
            return values;
        }

        public int index(@NonNull JsonNode value) {
            return values.indexOf(value);
        }
    }

    private static double stepped(double v, double lo, double hi, @Nullable Double q) {
        if (q != null) {
            v = lo + Math.round((v - lo) / q) * q;
            // The largest step inside the range: a rounded-up value past hi steps back.
            if (v > hi + 1e-12 * Math.abs(hi)) {
                v -= q;
            }
        }
        return Math.max(lo, Math.min(v, hi));
    }

    private static List<JsonNode> steps(String path, double lo, double hi, @Nullable Double q, java.util.function.DoubleFunction<JsonNode> make) {
        if (q == null) {
            throw new ConfigException(path, "grid search lists every value: a continuous range needs a \"q\" step (or use choice, int_uniform)");
        }
        checkGridCount(path, (hi - lo) / q + 1);
        List<JsonNode> out = new ArrayList<>();
        for (long k = 0; lo + k * q <= hi + 1e-12 * Math.abs(hi); k++) {
            out.add(make.apply(lo + k * q));
        }
        return out;
    }

    /** The most values one setting lists for grid search: a hostile step must not enumerate without end. */
    int MAX_GRID_VALUES = 100_000;

    private static void checkGridCount(String path, double count) {
        if (!(count <= MAX_GRID_VALUES)) {
            throw new ConfigException(path, String.format(java.util.Locale.ROOT, "grid search would list %.3g values of this setting; at most %d "
                    + "(use a larger step, or random or tpe)", count, MAX_GRID_VALUES));
        }
    }

    /** Reads one distribution; errors name {@code path}. */
    static @NonNull Distribution parse(@NonNull JsonNode spec, @NonNull String path) {
        if (!spec.isObject() || spec.isEmpty()) {
            throw new ConfigException(path, "expected an object such as {\"uniform\": [0.0, 0.5]}, {\"log_uniform\": [1e-4, 1e-2]}, "
                    + "{\"int_uniform\": [1, 4]} or {\"choice\": [64, 128]}, got " + spec);
        }
        List<String> kinds = new ArrayList<>();
        for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals("q") && !k.equals("step")) {
                kinds.add(k);
            }
        }
        if (kinds.size() != 1) {
            throw new ConfigException(path, "expected exactly one of uniform, log_uniform, int_uniform, choice (with \"q\" or \"step\"), got " + kinds);
        }
        String kind = kinds.get(0);
        JsonNode v = spec.get(kind);
        String at = path + "." + kind;
        if (kind.equals("choice")) {
            if (!v.isArray() || v.isEmpty()) {
                throw new ConfigException(at, "expected a non-empty list of values, got " + v);
            }
            if (spec.has("q") || spec.has("step")) {
                throw new ConfigException(path, "a choice takes no \"q\" or \"step\"");
            }
            List<JsonNode> values = new ArrayList<>();
            v.forEach(values::add);
            return new Choice(List.copyOf(values));
        }
        if (!v.isArray() || v.size() != 2 || !v.get(0).isNumber() || !v.get(1).isNumber()) {
            throw new ConfigException(at, "expected [low, high], two numbers, got " + v);
        }
        double lo = v.get(0).asDouble();
        double hi = v.get(1).asDouble();
        if (!(lo < hi)) {
            throw new ConfigException(at, "empty range: low " + v.get(0) + " must be below high " + v.get(1));
        }
        switch (kind) {
            case "uniform", "log_uniform" -> {
                if (spec.has("step")) {
                    throw new ConfigException(path + ".step", kind + " takes \"q\" for its step");
                }
                Double q = null;
                if (spec.has("q")) {
                    if (!spec.get("q").isNumber() || !(spec.get("q").asDouble() > 0)) {
                        throw new ConfigException(path + ".q", "expected a positive number, got " + spec.get("q"));
                    }
                    q = spec.get("q").asDouble();
                }
                if (kind.equals("uniform")) {
                    return new Uniform(lo, hi, q);
                }
                if (!(lo > 0)) {
                    throw new ConfigException(at, "log_uniform needs a positive low, got " + v.get(0));
                }
                return new LogUniform(lo, hi, q);
            }
            case "int_uniform" -> {
                if (!v.get(0).canConvertToLong() || !v.get(0).isIntegralNumber() || !v.get(1).isIntegralNumber()) {
                    throw new ConfigException(at, "expected two integers, got " + v);
                }
                if (spec.has("q")) {
                    throw new ConfigException(path + ".q", "int_uniform takes \"step\" for its step");
                }
                long step = 1;
                if (spec.has("step")) {
                    if (!spec.get("step").isIntegralNumber() || spec.get("step").asLong() < 1) {
                        throw new ConfigException(path + ".step", "expected a positive integer, got " + spec.get("step"));
                    }
                    step = spec.get("step").asLong();
                }
                return new IntUniform(v.get(0).asLong(), v.get(1).asLong(), step);
            }
            default -> throw new ConfigException(path, "unknown distribution \"" + kind + "\"; expected uniform, log_uniform, int_uniform or choice");
        }
    }
}
