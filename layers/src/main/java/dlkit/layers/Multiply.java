package dlkit.layers;

import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The element-wise product of its inputs (Keras' Multiply), e.g. for gating. Inputs must share one shape. */
public final class Multiply extends ElementwiseMerge {
    public record Config(@Nullable String name) {}

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Multiply", Config.class, new Config(null), Set.of(), Multiply::new);

    private final Config config;

    public Multiply(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Multiply of() {
        return new Multiply(new Config(null));
    }

    @Override
    Op op() {
        return Op.MULTIPLY;
    }

    @Override
    public String type() {
        return "Multiply";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Multiply named(String name) {
        return new Multiply(new Config(name));
    }

    @Override
    public Config config() {
        return config;
    }
}
