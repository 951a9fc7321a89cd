package dlkit.callbacks;

import dlkit.run.CallbackType;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiFunction;
import com.fasterxml.jackson.databind.JsonNode;
import dlkit.model.Callback;

/** Registers this module's callbacks under their Keras names for {@code fit.callbacks} in run configs. */
public final class BuiltInCallbacks implements CallbackType.Provider {
    @Override
    public List<CallbackType> types() {
        return List.of(
                type("EarlyStopping", (o, out) -> EarlyStopping.fromConfig(o),
                        "monitor", "mode", "min_delta", "patience", "baseline", "restore_best_weights", "start_from_epoch"),
                type("ReduceLROnPlateau", (o, out) -> ReduceLROnPlateau.fromConfig(o),
                        "monitor", "mode", "min_delta", "factor", "patience", "cooldown", "min_lr"),
                type("LearningRateScheduler", (o, out) -> LearningRateScheduler.fromConfig(o),
                        "schedule", "unit", "initial_learning_rate"),
                type("CSVLogger", CSVLogger::fromConfig, "filename", "separator", "append"),
                type("TerminateOnNaN", (o, out) -> new TerminateOnNaN()),
                type("ModelCheckpoint", ModelCheckpoint::fromConfig,
                        "filepath", "monitor", "mode", "save_best_only", "save_weights_only", "save_freq", "initial_value_threshold"),
                type("BackupAndRestore", BackupAndRestore::fromConfig, "backup_dir", "save_freq", "delete_checkpoint"));
    }

    private static CallbackType type(String name, BiFunction<Options, Path, Callback> make, String... keys) {
        return new CallbackType() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Callback create(JsonNode config, String path, Path outputDir) {
                return make.apply(new Options(config, path, keys), outputDir);
            }

            @Override
            public List<String> keys() {
                return List.of(keys);
            }
        };
    }
}
