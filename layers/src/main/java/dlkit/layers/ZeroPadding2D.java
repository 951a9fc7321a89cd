package dlkit.layers;

import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Zeros around a channels-last image: {@code padding} is {@code [[top, bottom], [left, right]]} as in Keras' config. */
public final class ZeroPadding2D implements Layer {
    public record Config(@Nullable String name, int @NonNull [] @NonNull [] padding, @NonNull String dataFormat) {
        public Config {
            padding = Window2D.margins("padding", padding);
            Window2D.checkFormat(dataFormat);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && java.util.Objects.equals(name, c.name) && java.util.Arrays.deepEquals(padding, c.padding)
                    && dataFormat.equals(c.dataFormat);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, java.util.Arrays.deepHashCode(padding));
        }

        @Override
        public String toString() {
            return "ZeroPadding2D.Config[name=" + name + ", padding=" + java.util.Arrays.deepToString(padding) + "]";
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "ZeroPadding2D", Config.class, new Config(null, new int[][] {{1, 1}, {1, 1}}, "channels_last"), Set.of(), ZeroPadding2D::new);

    private final Config config;

    public ZeroPadding2D(@NonNull Config config) {
        this.config = config;
    }

    /** The same padding on all four sides (Keras' default is 1). */
    public static @NonNull ZeroPadding2D of(int padding) {
        return of(padding, padding, padding, padding);
    }

    public static @NonNull ZeroPadding2D of(int top, int bottom, int left, int right) {
        return new ZeroPadding2D(new Config(null, new int[][] {{top, bottom}, {left, right}}, "channels_last"));
    }

    @Override
    public String type() {
        return "ZeroPadding2D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public ZeroPadding2D named(String name) {
        return new ZeroPadding2D(new Config(name, config.padding(), config.dataFormat()));
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        Window2D.checkImage(type(), name(), input);
        int[][] p = config.padding();
        return Shape.of(input.dim(0) + p[0][0] + p[0][1], input.dim(1) + p[1][0] + p[1][1], input.dim(2));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int[][] p = config.padding();
        // The input is the window of the output that starts at (top, left).
        Window2D window = new Window2D(ctx.outputShape(), ctx.inputShape(), p[0][0], p[1][0]);
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
