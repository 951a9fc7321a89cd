package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The shared config and shape rule of MaxPooling1D and AveragePooling1D; they run the 2-D kernels over [1, steps, channels]. */
final class Pool1D {
    /** Keras' pooling config: strides default to the pool size. */
    record Config(@Nullable String name, int @NonNull [] poolSize, int @Nullable [] strides, @NonNull Padding padding, @NonNull String dataFormat) {
        Config {
            poolSize = Conv1D.Config.single("pool_size", poolSize);
            strides = strides == null ? null : Conv1D.Config.single("strides", strides);
            Objects.requireNonNull(padding, "padding");
            as2d(name, poolSize, strides, padding, dataFormat);
        }

        Pool2D.Config as2d() {
            return as2d(name, poolSize, strides, padding, dataFormat);
        }

        private static Pool2D.Config as2d(@Nullable String name, int[] pool, int @Nullable [] strides, Padding padding, String dataFormat) {
            return new Pool2D.Config(name, new int[] {1, pool[0]}, strides == null ? null : new int[] {1, strides[0]}, padding, dataFormat);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && as2d().equals(c.as2d());
        }

        @Override
        public int hashCode() {
            return as2d().hashCode();
        }

        @Override
        public String toString() {
            return "Pool1D.Config[name=" + name + ", pool_size=" + Arrays.toString(poolSize) + ", strides=" + Arrays.toString(strides) + ", padding=" + padding + "]";
        }
    }

    private Pool1D() {}

    static Config defaults() {
        return new Config(null, new int[] {2}, null, Padding.VALID, "channels_last");
    }

    static Shape outputShape(String type, @Nullable String name, Config c, Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException(type + " '" + name + "' expects samples shaped [steps, channels], got " + input);
        }
        int stride = c.strides() != null ? c.strides()[0] : c.poolSize()[0];
        int steps = c.padding().outputLength(input.dim(0), c.poolSize()[0], stride, 1);
        if (steps < 1) {
            throw new ShapeException(type + " '" + name + "': pool_size " + c.poolSize()[0] + " leaves no output for input " + input
                    + " with padding \"" + c.padding().jsonName() + "\"");
        }
        return Shape.of(steps, input.dim(1));
    }

    static Kernel compile(BuildContext ctx, Config c, boolean max) {
        return Pool2D.compile(new ReshapedContext(ctx, ReshapedContext.asImage(ctx.inputShape()), ReshapedContext.asImage(ctx.outputShape())), c.as2d(), max);
    }
}
