package dlkit.layers;

import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The config of layers whose only setting is their name (Flatten, the merge layers Add, Subtract, …). */
public record NameConfig(@Nullable String name) implements LayerConfig<NameConfig.Builder> {
    @Override
    public @NonNull Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        return b;
    }

    public static final class Builder extends ConfigBuilder<NameConfig> {
        @Override
        public @NonNull NameConfig build() {
            return new NameConfig(name);
        }
    }
}
