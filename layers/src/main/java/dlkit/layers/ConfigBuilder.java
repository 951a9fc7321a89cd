package dlkit.layers;

import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * The mutable form of a layer config: public fields named as the record's components, holding Keras' defaults
 * until set. {@link LayerConfig#toBuilder()} fills one from a config; {@link #build()} makes the record again.
 */
public abstract class ConfigBuilder<C extends LayerConfig<?>> {
    public @Nullable String name;

    /** The record, checked by its constructor. */
    public abstract @NonNull C build();
}
