package dlkit.layers;

import org.jspecify.annotations.Nullable;

/**
 * A layer's configuration: a record of Keras' constructor arguments (its components are the JSON keys in
 * snake_case), checked by its constructor. It is changed only by copying it through a {@link ConfigBuilder}, which
 * starts from Keras' defaults.
 */
public interface LayerConfig {
    /** The user's name, or null to let the model assign {@code dense}, {@code dense_1}, … */
    @Nullable String name();
}
