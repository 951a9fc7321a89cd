package dlkit.layers;

import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The first input minus the second (Keras' Subtract). Inputs must share one shape. */
public final class Subtract extends ElementwiseMerge {
    public record Config(@Nullable String name) {}

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Subtract", Config.class, new Config(null), Set.of(), Subtract::new);

    private final Config config;

    public Subtract(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Subtract of() {
        return new Subtract(new Config(null));
    }

    @Override
    Op op() {
        return Op.SUBTRACT;
    }

    @Override
    public String type() {
        return "Subtract";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Subtract named(String name) {
        return new Subtract(new Config(name));
    }

    @Override
    public Config config() {
        return config;
    }
}
