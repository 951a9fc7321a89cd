package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Average pooling over channels-last images; {@code pool_size} (default 2×2), {@code strides} (default: the pool size),
 * {@code padding} valid/same (same-padded windows average only the real pixels, as Keras).
 */
public final class AveragePooling2D implements Layer {
    static final LayerRegistry.Entry<Pool2D.Config> ENTRY = new LayerRegistry.Entry<>(
            "AveragePooling2D", Pool2D.Config.class, new Pool2D.Config(null, new int[] {2, 2}, null, Padding.VALID, "channels_last"),
            Set.of(), AveragePooling2D::new);

    private final Pool2D.Config config;

    AveragePooling2D(Pool2D.Config config) {
        this.config = config;
    }

    public static @NonNull AveragePooling2D of(int poolSize) {
        return new AveragePooling2D(new Pool2D.Config(null, new int[] {poolSize, poolSize}, null, Padding.VALID, "channels_last"));
    }

    public @NonNull AveragePooling2D strides(int sh, int sw) {
        return new AveragePooling2D(new Pool2D.Config(config.name(), config.poolSize(), new int[] {sh, sw}, config.padding(), config.dataFormat()));
    }

    public @NonNull AveragePooling2D padding(@NonNull Padding padding) {
        return new AveragePooling2D(new Pool2D.Config(config.name(), config.poolSize(), config.strides(), padding, config.dataFormat()));
    }

    @Override
    public String type() {
        return "AveragePooling2D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public AveragePooling2D named(String name) {
        return new AveragePooling2D(new Pool2D.Config(name, config.poolSize(), config.strides(), config.padding(), config.dataFormat()));
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
        return Pool2D.compile(ctx, config, false);
    }
}
