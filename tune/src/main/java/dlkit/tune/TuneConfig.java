package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A run config's {@code tune} section:
 * <pre>{"space": {"compile.optimizer.learning_rate": {"log_uniform": [1e-4, 1e-2]}, …},
 *  "algorithm": "tpe", "objective": "val_accuracy", "max_trials": 20, "max_epochs": 10, "max_seconds": 3600,
 *  "pruning": "median", "factor": 3, "startup_trials": 10, "seed": 1}</pre>
 * {@code objective} is a logged metric, or {@code {"metric": …, "direction": "min"|"max"}} (by default min for
 * names ending in loss or error, max otherwise, as KerasTuner infers it).
 */
public record TuneConfig(@NonNull SearchSpace space, @NonNull String algorithm, @NonNull String metric, boolean maximize, int maxTrials,
                         int maxEpochs, @Nullable Double maxSeconds, @NonNull String pruning, int factor, int startupTrials, long seed) {
    public static final List<String> ALGORITHMS = List.of("grid", "random", "tpe", "hyperband");
    public static final Set<String> KEYS = Set.of("space", "algorithm", "objective", "max_trials", "max_epochs", "max_seconds", "pruning", "factor",
            "startup_trials", "seed");

    /**
     * Reads {@code tune} ({@code path} names it in errors); {@code space}, when not null, replaces its space (dl tune
     * --space); {@code epochs} is the run config's fit.epochs, the default max_epochs.
     */
    public static @NonNull TuneConfig parse(@Nullable JsonNode tune, @Nullable JsonNode space, @NonNull String spaceWhere, int epochs) {
        JsonNode t = tune == null ? Json.MAPPER.createObjectNode() : tune;
        if (!t.isObject()) {
            throw new ConfigException("tune", "expected an object with \"space\" (and optionally algorithm, objective, max_trials, max_epochs, …), got " + t);
        }
        Json.checkKeys(t, KEYS, "tune");
        JsonNode s = space != null ? space : t.get("space");
        if (s == null) {
            throw new ConfigException("tune", "missing required key \"space\" (or pass --space SPACE.json)");
        }
        SearchSpace parsed = SearchSpace.parse(s, space != null ? spaceWhere : "tune.space");
        String algorithm = t.has("algorithm") ? text(t.get("algorithm"), "tune.algorithm") : "random";
        if (!ALGORITHMS.contains(algorithm)) {
            throw new ConfigException("tune.algorithm", "expected one of " + ALGORITHMS + ", got \"" + algorithm + "\""
                    + suggestion(algorithm, ALGORITHMS));
        }
        String metric = "val_accuracy";
        Boolean maximize = null;
        JsonNode o = t.get("objective");
        if (o != null && o.isTextual()) {
            metric = o.asText();
        } else if (o != null && o.isObject()) {
            Json.checkKeys(o, Set.of("metric", "direction"), "tune.objective");
            if (!o.has("metric")) {
                throw new ConfigException("tune.objective", "missing required key \"metric\"");
            }
            metric = text(o.get("metric"), "tune.objective.metric");
            if (o.has("direction")) {
                String d = text(o.get("direction"), "tune.objective.direction");
                if (!d.equals("min") && !d.equals("max")) {
                    throw new ConfigException("tune.objective.direction", "expected \"min\" or \"max\", got \"" + d + "\"");
                }
                maximize = d.equals("max");
            }
        } else if (o != null) {
            throw new ConfigException("tune.objective", "expected a metric name such as \"val_accuracy\" or {\"metric\": …, \"direction\": \"min\"}, got " + o);
        }
        if (maximize == null) {
            maximize = !(metric.endsWith("loss") || metric.endsWith("error"));
        }
        int maxEpochs = t.has("max_epochs") ? Json.integer(t.get("max_epochs"), "tune.max_epochs", 1, 100_000, "a positive number of epochs") : epochs;
        int factor = t.has("factor") ? Json.integer(t.get("factor"), "tune.factor", 2, 100, "an integer ≥ 2") : 3;
        long gridSize = algorithm.equals("grid") ? Sampler.gridSize(parsed) : 0;
        int maxTrials;
        if (t.has("max_trials")) {
            maxTrials = Json.integer(t.get("max_trials"), "tune.max_trials", 1, 1_000_000, "a positive number of trials");
        } else if (algorithm.equals("grid")) {
            maxTrials = (int) Math.min(gridSize, 1_000_000);
        } else if (algorithm.equals("hyperband")) {
            maxTrials = 1_000_000;
        } else {
            maxTrials = 20;
        }
        Double maxSeconds = null;
        if (t.has("max_seconds")) {
            if (!t.get("max_seconds").isNumber() || !(t.get("max_seconds").asDouble() > 0)) {
                throw new ConfigException("tune.max_seconds", "expected a positive number of seconds, got " + t.get("max_seconds"));
            }
            maxSeconds = t.get("max_seconds").asDouble();
        }
        String pruning = t.has("pruning") ? text(t.get("pruning"), "tune.pruning") : "none";
        if (!pruning.equals("none") && !pruning.equals("median")) {
            throw new ConfigException("tune.pruning", "expected \"none\" or \"median\", got \"" + pruning + "\"");
        }
        if (pruning.equals("median") && (algorithm.equals("hyperband") || algorithm.equals("grid"))) {
            throw new ConfigException("tune.pruning", "median pruning is for random and tpe (Hyperband stops trials itself, grid tries every one)");
        }
        int startup = t.has("startup_trials") ? Json.integer(t.get("startup_trials"), "tune.startup_trials", 1, 100_000, "a positive number") : 10;
        long seed = t.has("seed") ? Json.integer(t.get("seed"), "tune.seed") : 1;
        return new TuneConfig(parsed, algorithm, metric, maximize, maxTrials, maxEpochs, maxSeconds, pruning, factor, startup, seed);
    }

    private static String text(JsonNode n, String path) {
        if (!n.isTextual()) {
            throw new ConfigException(path, "expected a string, got " + n);
        }
        return n.asText();
    }

    private static String suggestion(String given, List<String> known) {
        String s = Json.suggest(given, known);
        return s == null ? "" : "; did you mean \"" + s + "\"?";
    }

    /** The sampler for random, tpe and grid. */
    @NonNull Sampler sampler() {
        return switch (algorithm) {
            case "grid" -> Sampler.GRID;
            case "tpe" -> new TpeSampler(maximize, startupTrials);
            default -> Sampler.RANDOM;
        };
    }
}
