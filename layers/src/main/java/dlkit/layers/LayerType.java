package dlkit.layers;

import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.NonNull;

/**
 * A layer type as files name it ({@code "Dense"}): a builder with Keras' defaults for its config record (the config a
 * file's keys are laid over), the keys that have no default, and the constructor. Each layer declares its own; the
 * registry lists them.
 */
public record LayerType<C extends Record & LayerConfig, B extends ConfigBuilder<C>, L extends Layer>(
        @NonNull String name, @NonNull Supplier<B> builder, @NonNull Set<String> required, @NonNull Function<C, L> factory) {
    public @NonNull L create(@NonNull C config) {
        return factory.apply(config);
    }

    /** A layer of this type with Keras' defaults and the changes {@code settings} makes: {@code TYPE.with(b -> b.units = 64)}. */
    public @NonNull L with(@NonNull Consumer<B> settings) {
        B b = builder.get();
        settings.accept(b);
        return create(b.build());
    }

    /** The config's record type. */
    public @NonNull Class<C> configClass() {
        return builder.get().configClass();
    }

    /** Keras' defaults (placeholders for the required keys). */
    public @NonNull C defaults() {
        return builder.get().build();
    }
}
