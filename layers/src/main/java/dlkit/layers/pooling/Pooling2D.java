package dlkit.layers.pooling;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.DataFormat;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Padding;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Max and average pooling over channels-last images: their config ({@code pool_size}, default 2×2; {@code strides},
 * default the pool size; {@code padding} valid/same), shape rule and kernels. The two layers differ only in the op.
 */
public abstract sealed class Pooling2D<L extends Layer> extends AbstractLayer<Pooling2D.Config, Pooling2D.Builder, L>
        permits MaxPooling2D, AveragePooling2D {
    public record Config(@Nullable String name, @NonNull List<Integer> poolSize, @Nullable List<Integer> strides, @NonNull Padding padding,
                         @NonNull DataFormat dataFormat) implements LayerConfig {
        public Config {
            poolSize = Sizes.pair("pool_size", poolSize);
            strides = strides == null ? null : Sizes.pair("strides", strides);
            Padding.requireNotCausal(Objects.requireNonNull(padding, "padding"));
            Objects.requireNonNull(dataFormat, "data_format");
        }

        /** The strides in effect: the pool size unless set. */
        List<Integer> stride() {
            return strides != null ? strides : poolSize;
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<Integer> poolSize = List.of(2, 2);
        public @Nullable List<Integer> strides;
        public Padding padding = Padding.VALID;
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
    }

    /** A config with {@code poolSize} on both axes and Keras' other defaults. */
    static Config square(int poolSize) {
        Builder b = new Builder();
        b.poolSize = List.of(poolSize, poolSize);
        return b.build();
    }

    private final boolean max;

    Pooling2D(LayerType<Config, Builder, L> type, Config config, boolean max) {
        super(type, config);
        this.max = max;
    }

    public @NonNull L strides(int sh, int sw) {
        return change(b -> b.strides = List.of(sh, sw));
    }

    public @NonNull L padding(@NonNull Padding padding) {
        return change(b -> b.padding = padding);
    }

    @Override
    public Shape outputShape(Shape input) {
        Sizes.requireImage(type(), name(), input);
        Config c = config();
        List<Integer> s = c.stride();
        int oh = c.padding().outputLength(input.dim(0), c.poolSize().get(0), s.get(0), 1);
        int ow = c.padding().outputLength(input.dim(1), c.poolSize().get(1), s.get(1), 1);
        if (oh < 1 || ow < 1) {
            throw new ShapeException(type() + " '" + name() + "': pool_size " + c.poolSize() + " leaves no output for input "
                    + input + " with padding \"" + c.padding().jsonName() + "\"");
        }
        return Shape.of(oh, ow, input.dim(2));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Pool2DKernels.compile(ctx, config(), max);
    }
}
