package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Average pooling over sequences {@code [steps, channels]}; {@code pool_size} (default [2]), {@code strides} (default: the pool size), {@code padding}. */
public final class AveragePooling1D implements Layer {
    static final LayerRegistry.Entry<Pool1D.Config> ENTRY = new LayerRegistry.Entry<>(
            "AveragePooling1D", Pool1D.Config.class, Pool1D.defaults(), Set.of(), AveragePooling1D::new);

    private final Pool1D.Config config;

    AveragePooling1D(Pool1D.Config config) {
        this.config = config;
    }

    public static @NonNull AveragePooling1D of(int poolSize) {
        return new AveragePooling1D(new Pool1D.Config(null, new int[] {poolSize}, null, Padding.VALID, "channels_last"));
    }

    public @NonNull AveragePooling1D strides(int stride) {
        return new AveragePooling1D(new Pool1D.Config(config.name(), config.poolSize(), new int[] {stride}, config.padding(), config.dataFormat()));
    }

    public @NonNull AveragePooling1D padding(@NonNull Padding padding) {
        return new AveragePooling1D(new Pool1D.Config(config.name(), config.poolSize(), config.strides(), padding, config.dataFormat()));
    }

    @Override
    public String type() {
        return "AveragePooling1D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public AveragePooling1D named(String name) {
        return new AveragePooling1D(new Pool1D.Config(name, config.poolSize(), config.strides(), config.padding(), config.dataFormat()));
    }

    @Override
    public Record config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        return Pool1D.outputShape(type(), name(), config, input);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Pool1D.compile(ctx, config, false);
    }
}
