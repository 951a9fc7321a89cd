package dlkit.layers;

import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The element-wise mean of its inputs (Keras' Average), e.g. for ensembling branches. Inputs must share one shape. */
public final class Average extends ElementwiseMerge {
    public record Config(@Nullable String name) {}

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Average", Config.class, new Config(null), Set.of(), Average::new);

    private final Config config;

    public Average(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Average of() {
        return new Average(new Config(null));
    }

    @Override
    Op op() {
        return Op.AVERAGE;
    }

    @Override
    public String type() {
        return "Average";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Average named(String name) {
        return new Average(new Config(name));
    }

    @Override
    public Config config() {
        return config;
    }
}
