package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Max pooling over channels-last images; {@code pool_size} (default 2×2), {@code strides} (default: the pool size),
 * {@code padding} valid/same.
 */
public final class MaxPooling2D implements Layer {
    static final LayerRegistry.Entry<Pool2D.Config> ENTRY = new LayerRegistry.Entry<>(
            "MaxPooling2D", Pool2D.Config.class, new Pool2D.Config(null, new int[] {2, 2}, null, Padding.VALID, "channels_last"),
            Set.of(), MaxPooling2D::new);

    private final Pool2D.Config config;

    MaxPooling2D(Pool2D.Config config) {
        this.config = config;
    }

    public static @NonNull MaxPooling2D of(int poolSize) {
        return new MaxPooling2D(new Pool2D.Config(null, new int[] {poolSize, poolSize}, null, Padding.VALID, "channels_last"));
    }

    public @NonNull MaxPooling2D strides(int sh, int sw) {
        return new MaxPooling2D(new Pool2D.Config(config.name(), config.poolSize(), new int[] {sh, sw}, config.padding(), config.dataFormat()));
    }

    public @NonNull MaxPooling2D padding(@NonNull Padding padding) {
        return new MaxPooling2D(new Pool2D.Config(config.name(), config.poolSize(), config.strides(), padding, config.dataFormat()));
    }

    @Override
    public String type() {
        return "MaxPooling2D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public MaxPooling2D named(String name) {
        return new MaxPooling2D(new Pool2D.Config(name, config.poolSize(), config.strides(), config.padding(), config.dataFormat()));
    }

    @Override
    public Record config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        return Pool2D.outputShape(type(), name(), config, input);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Pool2D.compile(ctx, config, true);
    }
}
