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
import dlkit.layers.internal.ReshapedContext;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Max and average pooling over sequences {@code [steps, channels]}: {@code pool_size} (default [2]), {@code strides}
 * (default: the pool size), {@code padding}. They run the 2-D kernels over {@code [1, steps, channels]}, the same memory.
 */
public abstract sealed class Pooling1D<L extends Layer> extends AbstractLayer<Pooling1D.Config, Pooling1D.Builder, L>
        permits MaxPooling1D, AveragePooling1D {
    public record Config(@Nullable String name, @NonNull List<Integer> poolSize, @Nullable List<Integer> strides, @NonNull Padding padding,
                         @NonNull DataFormat dataFormat) implements LayerConfig {
        public Config {
            poolSize = Sizes.single("pool_size", poolSize);
            strides = strides == null ? null : Sizes.single("strides", strides);
            Padding.requireNotCausal(Objects.requireNonNull(padding, "padding"));
            Objects.requireNonNull(dataFormat, "data_format");
        }

        /** The same pooling over a one-row image. */
        Pooling2D.Config as2d() {
            return new Pooling2D.Config(name, List.of(1, poolSize.get(0)), strides == null ? null : List.of(1, strides.get(0)), padding, dataFormat);
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<Integer> poolSize = List.of(2);
        public @Nullable List<Integer> strides;
        public Padding padding = Padding.VALID;
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
    }

    static Config ofSize(int poolSize) {
        Builder b = new Builder();
        b.poolSize = List.of(poolSize);
        return b.build();
    }

    private final boolean max;

    Pooling1D(LayerType<Config, Builder, L> type, Config config, boolean max) {
        super(type, config);
        this.max = max;
    }

    public @NonNull L strides(int stride) {
        return change(b -> b.strides = List.of(stride));
    }

    public @NonNull L padding(@NonNull Padding padding) {
        return change(b -> b.padding = padding);
    }

    @Override
    public Shape outputShape(Shape input) {
        Sizes.requireSequence(type(), name(), input);
        Config c = config();
        int pool = c.poolSize().get(0);
        int stride = c.strides() != null ? c.strides().get(0) : pool;
        int steps = c.padding().outputLength(input.dim(0), pool, stride, 1);
        if (steps < 1) {
            throw new ShapeException(type() + " '" + name() + "': pool_size " + pool + " leaves no output for input " + input
                    + " with padding \"" + c.padding().jsonName() + "\"");
        }
        return Shape.of(steps, input.dim(1));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Pool2DKernels.compile(new ReshapedContext(ctx, ReshapedContext.asImage(ctx.inputShape()), ReshapedContext.asImage(ctx.outputShape())),
                config().as2d(), max);
    }
}
