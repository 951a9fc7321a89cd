package dlkit.layers.reshaping;

import dlkit.ShapeException;
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

/** Cuts rows and columns off a channels-last image: {@code cropping} is {@code [[top, bottom], [left, right]]} as in Keras. */
public final class Cropping2D extends AbstractLayer<Cropping2D.Config, Cropping2D.Builder, Cropping2D> {
    public record Config(@Nullable String name, @NonNull List<List<Integer>> cropping, @NonNull DataFormat dataFormat) implements LayerConfig {
        public Config {
            cropping = Window2D.margins("cropping", cropping);
            Objects.requireNonNull(dataFormat, "data_format");
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<List<Integer>> cropping = Window2D.margins(0, 0, 0, 0);
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
    }

    public static final LayerType<Config, Builder, Cropping2D> TYPE = new LayerType<>("Cropping2D", Builder::new, Set.of(), Cropping2D::new);

    public Cropping2D(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Cropping2D of(int top, int bottom, int left, int right) {
        return new Cropping2D(new Config(null, Window2D.margins(top, bottom, left, right), DataFormat.CHANNELS_LAST));
    }

    @Override
    public Shape outputShape(Shape input) {
        Sizes.requireImage(type(), name(), input);
        List<List<Integer>> c = config().cropping();
        int h = input.dim(0) - c.get(0).get(0) - c.get(0).get(1);
        int w = input.dim(1) - c.get(1).get(0) - c.get(1).get(1);
        if (h < 1 || w < 1) {
            throw new ShapeException("Cropping2D '" + name() + "': cropping " + c + " leaves nothing of input " + input);
        }
        return Shape.of(h, w, input.dim(2));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        List<List<Integer>> c = config().cropping();
        // The output is the window of the input that starts at (top, left).
        Window2D window = new Window2D(ctx.inputShape(), ctx.outputShape(), c.get(0).get(0), c.get(1).get(0));
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int inSize = ctx.inputShape().size();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                window.copy(n, x, y, true);
            }

            @Override
            public void backward(int n) {
                if (dx != null) {
                    dx.fill(0, n * inSize);
                    window.copy(n, dy, dx, false);
                }
            }
        };
    }
}
