package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Cuts rows and columns off a channels-last image: {@code cropping} is {@code [[top, bottom], [left, right]]} as in Keras. */
public final class Cropping2D implements Layer {
    public record Config(@Nullable String name, int @NonNull [] @NonNull [] cropping, @NonNull String dataFormat) {
        public Config {
            cropping = Window2D.margins("cropping", cropping);
            Window2D.checkFormat(dataFormat);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && java.util.Objects.equals(name, c.name) && java.util.Arrays.deepEquals(cropping, c.cropping)
                    && dataFormat.equals(c.dataFormat);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, java.util.Arrays.deepHashCode(cropping));
        }

        @Override
        public String toString() {
            return "Cropping2D.Config[name=" + name + ", cropping=" + java.util.Arrays.deepToString(cropping) + "]";
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Cropping2D", Config.class, new Config(null, new int[][] {{0, 0}, {0, 0}}, "channels_last"), Set.of(), Cropping2D::new);

    private final Config config;

    public Cropping2D(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Cropping2D of(int top, int bottom, int left, int right) {
        return new Cropping2D(new Config(null, new int[][] {{top, bottom}, {left, right}}, "channels_last"));
    }

    @Override
    public String type() {
        return "Cropping2D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Cropping2D named(String name) {
        return new Cropping2D(new Config(name, config.cropping(), config.dataFormat()));
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        Window2D.checkImage(type(), name(), input);
        int[][] c = config.cropping();
        int h = input.dim(0) - c[0][0] - c[0][1];
        int w = input.dim(1) - c[1][0] - c[1][1];
        if (h < 1 || w < 1) {
            throw new ShapeException("Cropping2D '" + name() + "': cropping " + java.util.Arrays.deepToString(c) + " leaves nothing of input " + input);
        }
        return Shape.of(h, w, input.dim(2));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int[][] c = config.cropping();
        // The output is the window of the input that starts at (top, left).
        Window2D window = new Window2D(ctx.inputShape(), ctx.outputShape(), c[0][0], c[1][0]);
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
