package dlkit.layers;

import org.jspecify.annotations.Nullable;

/** The config of layers whose only setting is their name (Flatten, the merge layers Add, Subtract, …). */
public record NameConfig(@Nullable String name) implements LayerConfig {

    public static final class Builder extends ConfigBuilder<NameConfig> {
        public Builder() {
            super(NameConfig.class);
        }
    }
}
