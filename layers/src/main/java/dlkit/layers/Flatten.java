package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Flattens each sample to one axis. Row-major storage makes it free: the output is the input's memory. */
public final class Flatten implements Layer {
    public record Config(@Nullable String name) {}

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Flatten", Config.class, new Config(null), Set.of(), Flatten::new);

    private final Config config;

    public Flatten(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Flatten of() {
        return new Flatten(new Config(null));
    }

    @Override
    public String type() {
        return "Flatten";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Flatten named(String name) {
        return new Flatten(new Config(name));
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        return Shape.of(input.size());
    }

    @Override
    public boolean aliasesInput() {
        return true;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Kernel.NONE;
    }
}
