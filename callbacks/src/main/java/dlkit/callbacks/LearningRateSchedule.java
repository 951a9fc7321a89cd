package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * The learning rate as a function of a step count {@code n} (epochs or optimizer steps, as the scheduler says) and the
 * initial rate η0, with Keras' formulas. The exponential form η0·10^(−n/τ) is {@code exponential(τ, 0.1)}.
 * Any schedule can start with a linear warm-up: {@code cosine(1000).withWarmup(100)}.
 */
public sealed interface LearningRateSchedule {
    List<String> TYPES = List.of("constant", "step", "exponential", "inverse_time", "polynomial", "cosine", "cosine_restarts");

    double at(long n, double initial);

    /** η0 throughout (with {@link #withWarmup}: a warm-up, then constant). */
    static @NonNull LearningRateSchedule constant() {
        return new Constant();
    }

    /** η0 · factor^⌊n / stepSize⌋ (PyTorch's StepLR). */
    static @NonNull LearningRateSchedule step(int stepSize, double factor) {
        return new Step(positive(stepSize, "step_size"), fraction(factor, "factor"));
    }

    /** η0 · rate^(n / decaySteps), or ^⌊n / decaySteps⌋ when staircase. */
    static @NonNull LearningRateSchedule exponential(double decaySteps, double decayRate) {
        return new Exponential(positive(decaySteps, "decay_steps"), positive(decayRate, "decay_rate"), false);
    }

    /** η0 / (1 + rate · n / decaySteps), or with ⌊n / decaySteps⌋ when staircase. */
    static @NonNull LearningRateSchedule inverseTime(double decaySteps, double decayRate) {
        return new InverseTime(positive(decaySteps, "decay_steps"), nonNegative(decayRate, "decay_rate"), false);
    }

    /** (η0 − end) · (1 − min(n, decaySteps) / decaySteps)^power + end. */
    static @NonNull LearningRateSchedule polynomial(double decaySteps, double endLearningRate, double power) {
        return new Polynomial(positive(decaySteps, "decay_steps"), nonNegative(endLearningRate, "end_learning_rate"), positive(power, "power"));
    }

    /** η0 · ((1 − α) · ½(1 + cos(π · min(n, decaySteps) / decaySteps)) + α). */
    static @NonNull LearningRateSchedule cosine(double decaySteps, double alpha) {
        return new Cosine(positive(decaySteps, "decay_steps"), unit(alpha, "alpha"));
    }

    /** SGDR (Loshchilov &amp; Hutter): cosine periods, each {@code tMul} times longer and {@code mMul} times lower. */
    static @NonNull LearningRateSchedule cosineRestarts(double firstDecaySteps, double tMul, double mMul, double alpha) {
        return new CosineRestarts(positive(firstDecaySteps, "first_decay_steps"), positive(tMul, "t_mul"), positive(mMul, "m_mul"), unit(alpha, "alpha"));
    }

    /** The rate rises linearly from 0 to η0 over {@code steps}, then this schedule runs from n = 0. */
    default @NonNull LearningRateSchedule withWarmup(int steps) {
        return new Warmup(positive(steps, "warmup_steps"), 0, this);
    }

    record Constant() implements LearningRateSchedule {
        @Override
        public double at(long n, double initial) {
            return initial;
        }
    }

    record Step(double stepSize, double factor) implements LearningRateSchedule {
        @Override
        public double at(long n, double initial) {
            return initial * Math.pow(factor, Math.floor(n / stepSize));
        }
    }

    record Exponential(double decaySteps, double decayRate, boolean staircase) implements LearningRateSchedule {
        public @NonNull Exponential withStaircase() {
            return new Exponential(decaySteps, decayRate, true);
        }

        @Override
        public double at(long n, double initial) {
            double p = n / decaySteps;
            return initial * Math.pow(decayRate, staircase ? Math.floor(p) : p);
        }
    }

    record InverseTime(double decaySteps, double decayRate, boolean staircase) implements LearningRateSchedule {
        public @NonNull InverseTime withStaircase() {
            return new InverseTime(decaySteps, decayRate, true);
        }

        @Override
        public double at(long n, double initial) {
            double p = n / decaySteps;
            return initial / (1 + decayRate * (staircase ? Math.floor(p) : p));
        }
    }

    record Polynomial(double decaySteps, double endLearningRate, double power) implements LearningRateSchedule {
        @Override
        public double at(long n, double initial) {
            double p = Math.min(n, decaySteps) / decaySteps;
            return (initial - endLearningRate) * Math.pow(1 - p, power) + endLearningRate;
        }
    }

    record Cosine(double decaySteps, double alpha) implements LearningRateSchedule {
        @Override
        public double at(long n, double initial) {
            double p = Math.min(n, decaySteps) / decaySteps;
            return initial * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * p)) + alpha);
        }
    }

    record CosineRestarts(double firstDecaySteps, double tMul, double mMul, double alpha) implements LearningRateSchedule {
        @Override
        public double at(long n, double initial) {
            double done = n / firstDecaySteps;
            double restart;
            if (tMul == 1) {
                restart = Math.floor(done);
                done -= restart;
            } else {
                restart = Math.floor(Math.log(1 - done * (1 - tMul)) / Math.log(tMul));
                double before = (1 - Math.pow(tMul, restart)) / (1 - tMul);
                done = (done - before) / Math.pow(tMul, restart);
            }
            double cos = 0.5 * Math.pow(mMul, restart) * (1 + Math.cos(Math.PI * done));
            return initial * ((1 - alpha) * cos + alpha);
        }
    }

    record Warmup(double steps, double start, @NonNull LearningRateSchedule then) implements LearningRateSchedule {
        @Override
        public double at(long n, double initial) {
            if (n < steps) {
                return initial * (start + (1 - start) * n / steps);
            }
            return then.at((long) (n - steps), initial);
        }
    }

    /** From {@code {"type": "exponential", "decay_steps": 10, "decay_rate": 0.1}}; errors name the JSON path. */
    static @NonNull LearningRateSchedule fromConfig(@NonNull JsonNode node, @NonNull String path) {
        if (!node.isObject() || !node.path("type").isTextual()) {
            throw new ConfigException(path, "expected a schedule object with a \"type\", one of " + TYPES + ", got " + node);
        }
        String type = node.get("type").asText();
        Options o;
        LearningRateSchedule s;
        try {
            switch (type) {
                case "step" -> {
                    o = new Options(node, path, "step_size", "factor", "warmup_steps");
                    s = step(o.integer("step_size", 10, 1), o.number("factor", 0.1));
                }
                case "exponential" -> {
                    o = new Options(node, path, "decay_steps", "decay_rate", "staircase", "warmup_steps");
                    Exponential e = (Exponential) exponential(required(o, "decay_steps"), required(o, "decay_rate"));
                    s = o.bool("staircase", false) ? e.withStaircase() : e;
                }
                case "inverse_time" -> {
                    o = new Options(node, path, "decay_steps", "decay_rate", "staircase", "warmup_steps");
                    InverseTime e = (InverseTime) inverseTime(required(o, "decay_steps"), required(o, "decay_rate"));
                    s = o.bool("staircase", false) ? e.withStaircase() : e;
                }
                case "polynomial" -> {
                    o = new Options(node, path, "decay_steps", "end_learning_rate", "power", "warmup_steps");
                    s = polynomial(required(o, "decay_steps"), o.number("end_learning_rate", 1e-4), o.number("power", 1));
                }
                case "cosine" -> {
                    o = new Options(node, path, "decay_steps", "alpha", "warmup_steps");
                    s = cosine(required(o, "decay_steps"), o.number("alpha", 0));
                }
                case "cosine_restarts" -> {
                    o = new Options(node, path, "first_decay_steps", "t_mul", "m_mul", "alpha", "warmup_steps");
                    s = cosineRestarts(required(o, "first_decay_steps"), o.number("t_mul", 2), o.number("m_mul", 1), o.number("alpha", 0));
                }
                case "constant" -> {
                    o = new Options(node, path, "warmup_steps");
                    s = constant();
                }
                default -> {
                    String hint = dlkit.config.Json.suggest(type, TYPES);
                    throw new ConfigException(path + ".type", "unknown schedule \"" + type + "\""
                            + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + TYPES));
                }
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path, e.getMessage());
        }
        return o.has("warmup_steps") ? s.withWarmup(o.integer("warmup_steps", 1, 1)) : s;
    }

    private static double required(Options o, String key) {
        if (!o.has(key)) {
            throw new ConfigException(o.at(key), "required");
        }
        return o.number(key, 0);
    }

    private static double positive(double v, String name) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + ": expected a finite number > 0, got " + v);
        }
        return v;
    }

    private static int positive(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + ": expected an integer >= 1, got " + v);
        }
        return v;
    }

    private static double nonNegative(double v, String name) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + ": expected a finite number >= 0, got " + v);
        }
        return v;
    }

    private static double fraction(double v, String name) {
        if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException(name + ": expected a number in (0, 1], got " + v);
        }
        return v;
    }

    private static double unit(double v, String name) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(name + ": expected a number in [0, 1], got " + v);
        }
        return v;
    }
}
