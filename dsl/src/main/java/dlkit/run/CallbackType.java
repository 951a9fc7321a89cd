package dlkit.run;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.model.Callback;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.jspecify.annotations.NonNull;

/**
 * A callback that can be named in a run config's {@code fit.callbacks}: {@code {"type": "EarlyStopping", "patience": 3}}.
 * Implementations live outside this module (dlkit-callbacks) and are found through {@link Provider} with
 * {@link ServiceLoader}, so the training loop never depends on them.
 */
public interface CallbackType {
    /** The stable JSON name, as Keras spells the class. */
    @NonNull String name();

    /** The config keys it takes besides {@code type} (for docs and the schema check). */
    @NonNull List<String> keys();

    /**
     * Builds the callback from its config object (every key checked; errors name {@code path}, e.g.
     * {@code fit.callbacks[1].patience}). Must not touch the disk: {@code dl validate} builds callbacks too.
     */
    @NonNull Callback create(@NonNull JsonNode config, @NonNull String path, @NonNull Path outputDir);

    /** Registers callback types; listed in {@code META-INF/services/dlkit.run.CallbackType$Provider}. */
    interface Provider {
        @NonNull List<CallbackType> types();
    }

    /** Every registered type by name. */
    static @NonNull Map<String, CallbackType> all() {
        Map<String, CallbackType> m = new LinkedHashMap<>();
        for (Provider p : ServiceLoader.load(Provider.class, CallbackType.class.getClassLoader())) {
            for (CallbackType t : p.types()) {
                m.put(t.name(), t);
            }
        }
        return m;
    }

    /** Builds one callback config, naming the JSON path on any error. */
    static @NonNull Callback fromConfig(@NonNull JsonNode config, @NonNull String path, @NonNull Path outputDir) {
        if (!config.isObject() || !config.path("type").isTextual()) {
            throw new ConfigException(path, "expected an object with a \"type\", e.g. {\"type\": \"EarlyStopping\", \"patience\": 3}, got " + config);
        }
        String type = config.get("type").asText();
        Map<String, CallbackType> all = all();
        CallbackType t = all.get(type);
        if (t == null) {
            String hint = Json.suggest(type, all.keySet());
            throw new ConfigException(path + ".type", "unknown callback \"" + type + "\""
                    + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + all.keySet()));
        }
        return t.create(config, path, outputDir);
    }
}
