package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Max pooling over sequences {@code [steps, channels]}; {@code pool_size} (default [2]), {@code strides} (default: the pool size), {@code padding}. */
public final class MaxPooling1D implements Layer {
    static final LayerRegistry.Entry<Pool1D.Config> ENTRY = new LayerRegistry.Entry<>(
            "MaxPooling1D", Pool1D.Config.class, Pool1D.defaults(), Set.of(), MaxPooling1D::new);

    private final Pool1D.Config config;

    MaxPooling1D(Pool1D.Config config) {
        this.config = config;
    }

    public static @NonNull MaxPooling1D of(int poolSize) {
        return new MaxPooling1D(new Pool1D.Config(null, new int[] {poolSize}, null, Padding.VALID, "channels_last"));
    }

    public @NonNull MaxPooling1D strides(int stride) {
        return new MaxPooling1D(new Pool1D.Config(config.name(), config.poolSize(), new int[] {stride}, config.padding(), config.dataFormat()));
    }

    public @NonNull MaxPooling1D padding(@NonNull Padding padding) {
        return new MaxPooling1D(new Pool1D.Config(config.name(), config.poolSize(), config.strides(), padding, config.dataFormat()));
    }

    @Override
    public String type() {
        return "MaxPooling1D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public MaxPooling1D named(String name) {
        return new MaxPooling1D(new Pool1D.Config(name, config.poolSize(), config.strides(), config.padding(), config.dataFormat()));
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
        return Pool1D.compile(ctx, config, true);
    }
}
