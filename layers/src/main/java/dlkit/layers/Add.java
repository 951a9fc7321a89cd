package dlkit.layers;

import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Sums its inputs element by element (Keras' Add): the residual connection of a ResNet. Inputs must share one shape. */
public final class Add extends ElementwiseMerge {
    public record Config(@Nullable String name) {}

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Add", Config.class, new Config(null), Set.of(), Add::new);

    private final Config config;

    public Add(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Add of() {
        return new Add(new Config(null));
    }

    @Override
    Op op() {
        return Op.ADD;
    }

    @Override
    public String type() {
        return "Add";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Add named(String name) {
        return new Add(new Config(name));
    }

    @Override
    public Config config() {
        return config;
    }
}
