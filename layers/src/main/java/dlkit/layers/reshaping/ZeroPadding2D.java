package dlkit.layers.reshaping;

import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.DataFormat;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Zeros around a channels-last image: {@code padding} is {@code [[top, bottom], [left, right]]} as in Keras' config. */
public final class ZeroPadding2D extends AbstractLayer<ZeroPadding2D.Config, ZeroPadding2D.Builder, ZeroPadding2D> {
    public record Config(@Nullable String name, @NonNull List<List<Integer>> padding, @NonNull DataFormat dataFormat) implements LayerConfig {
        public Config {
            padding = Window2D.margins("padding", padding);
            Objects.requireNonNull(dataFormat, "data_format");
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<List<Integer>> padding = Window2D.margins(1, 1, 1, 1);
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
    }

    public static final LayerType<Config, Builder, ZeroPadding2D> TYPE = new LayerType<>("ZeroPadding2D", Builder::new, Set.of(), ZeroPadding2D::new);

    public ZeroPadding2D(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull ZeroPadding2D of(int top, int bottom, int left, int right) {
        return new ZeroPadding2D(new Config(null, Window2D.margins(top, bottom, left, right), DataFormat.CHANNELS_LAST));
    }

    @Override
    public Shape outputShape(Shape input) {
        Sizes.requireImage(type(), name(), input);
        List<List<Integer>> p = config().padding();
        return Shape.of(input.dim(0) + p.get(0).get(0) + p.get(0).get(1), input.dim(1) + p.get(1).get(0) + p.get(1).get(1), input.dim(2));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        List<List<Integer>> p = config().padding();
        // The input is the window of the output that starts at (top, left).
        Window2D window = new Window2D(ctx.outputShape(), ctx.inputShape(), p.get(0).get(0), p.get(1).get(0));
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int outSize = ctx.outputShape().size();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                y.fill(0, n * outSize);
                window.copy(n, x, y, false);
            }

            @Override
            public void backward(int n) {
                if (dx != null) {
                    window.copy(n, dy, dx, true);
                }
            }
        };
    }
}
