package dlkit.layers;

import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A layer's configuration: a record of Keras' constructor arguments (its components are the JSON keys in
 * snake_case), checked by its constructor. A config is changed only by copying it through its {@link ConfigBuilder},
 * which starts from Keras' defaults.
 */
public interface LayerConfig<B extends ConfigBuilder<?>> {
    /** The user's name, or null to let the model assign {@code dense}, {@code dense_1}, … */
    @Nullable String name();

    /** A builder holding this config's values: set what changes, then {@link ConfigBuilder#build()}. */
    @NonNull B toBuilder();
}
