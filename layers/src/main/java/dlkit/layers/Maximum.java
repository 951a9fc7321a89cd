package dlkit.layers;

import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The element-wise maximum of its inputs (Keras' Maximum); the gradient flows to the first input that holds it. Inputs must share one shape. */
public final class Maximum extends ElementwiseMerge {
    public record Config(@Nullable String name) {}

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Maximum", Config.class, new Config(null), Set.of(), Maximum::new);

    private final Config config;

    public Maximum(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Maximum of() {
        return new Maximum(new Config(null));
    }

    @Override
    Op op() {
        return Op.MAXIMUM;
    }

    @Override
    public String type() {
        return "Maximum";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Maximum named(String name) {
        return new Maximum(new Config(name));
    }

    @Override
    public Config config() {
        return config;
    }
}
