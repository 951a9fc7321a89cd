package dlkit.layers;

import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.NonNull;

/**
 * A layer type as files name it ({@code "Dense"}): its config record, the config a file's keys are laid over (Keras'
 * defaults), the keys that have no default, and the constructor. Each layer declares its own; the registry lists them.
 */
public record LayerType<C extends Record & LayerConfig<?>, L extends Layer>(@NonNull String name, @NonNull Class<C> configClass,
                                                                            @NonNull C defaults, @NonNull Set<String> required,
                                                                            @NonNull Function<C, L> factory) {
    public @NonNull L create(@NonNull C config) {
        return factory.apply(config);
    }
}
