package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.model.Callback;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.jspecify.annotations.NonNull;

/**
 * A callback a run config can name in {@code fit.callbacks}: {@code {"type": "EarlyStopping", "patience": 3}}. The
 * table below is the one place that maps the JSON names (Keras' class names) to callbacks; each callback reads its
 * own keys ({@code fromConfig} beside it).
 */
public final class CallbackType {
    private static final Map<String, CallbackType> ALL = new LinkedHashMap<>();

    static {
        for (CallbackType t : List.of(
                type("EarlyStopping", (o, out) -> EarlyStopping.fromConfig(o),
                        "monitor", "mode", "min_delta", "patience", "baseline", "restore_best_weights", "start_from_epoch"),
                type("ReduceLROnPlateau", (o, out) -> ReduceLROnPlateau.fromConfig(o),
                        "monitor", "mode", "min_delta", "factor", "patience", "cooldown", "min_lr"),
                type("LearningRateScheduler", (o, out) -> LearningRateScheduler.fromConfig(o), "schedule", "unit", "initial_learning_rate"),
                type("CSVLogger", CSVLogger::fromConfig, "filename", "separator", "append"),
                type("TerminateOnNaN", (o, out) -> new TerminateOnNaN()),
                type("ModelCheckpoint", ModelCheckpoint::fromConfig,
                        "filepath", "monitor", "mode", "save_best_only", "save_weights_only", "save_freq", "initial_value_threshold"),
                type("BackupAndRestore", BackupAndRestore::fromConfig, "backup_dir", "save_freq", "delete_checkpoint"))) {
            ALL.put(t.name, t);
        }
    }

    private final String name;
    private final List<String> keys;
    private final BiFunction<Options, Path, Callback> factory;

    private CallbackType(String name, List<String> keys, BiFunction<Options, Path, Callback> factory) {
        this.name = name;
        this.keys = keys;
        this.factory = factory;
    }

    private static CallbackType type(String name, BiFunction<Options, Path, Callback> factory, String... keys) {
        return new CallbackType(name, List.of(keys), factory);
    }

    /** The stable JSON name, as Keras spells the class. */
    public @NonNull String name() {
        return name;
    }

    /** The config keys it takes besides {@code type} (for docs and the schema check). */
    public @NonNull List<String> keys() {
        return keys;
    }

    /**
     * Builds the callback from its config object (every key checked; errors name {@code path}, e.g.
     * {@code fit.callbacks[1].patience}). Touches no file: {@code dl validate} builds callbacks too.
     */
    public @NonNull Callback create(@NonNull JsonNode config, @NonNull String path, @NonNull Path outputDir) {
        return factory.apply(new Options(config, path, keys.toArray(new String[0])), outputDir);
    }

    /** Every type by name, in the order the docs list them. */
    public static @NonNull Map<String, CallbackType> all() {
        return java.util.Collections.unmodifiableMap(ALL);
    }

    /** Builds one callback config, naming the JSON path on any error. */
    public static @NonNull Callback fromConfig(@NonNull JsonNode config, @NonNull String path, @NonNull Path outputDir) {
        if (!config.isObject() || !config.path("type").isTextual()) {
            throw new ConfigException(path, "expected an object with a \"type\", e.g. {\"type\": \"EarlyStopping\", \"patience\": 3}, got " + config);
        }
        String type = config.get("type").asText();
        CallbackType t = ALL.get(type);
        if (t == null) {
            String hint = Json.suggest(type, ALL.keySet());
            throw new ConfigException(path + ".type", "unknown callback \"" + type + "\""
                    + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + ALL.keySet()));
        }
        return t.create(config, path, outputDir);
    }
}
