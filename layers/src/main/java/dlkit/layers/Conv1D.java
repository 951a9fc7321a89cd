package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * 1-D convolution over sequences {@code [steps, channels]}, kernel {@code [kernel_size, in, filters]} as in Keras.
 * Runs as {@link Conv2D} over {@code [1, steps, channels]} (the same memory), so it shares its paths and tests.
 */
public final class Conv1D implements Layer {
    public record Config(
            @Nullable String name,
            int filters,
            int @NonNull [] kernelSize,
            int @NonNull [] strides,
            @NonNull Padding padding,
            @NonNull String dataFormat,
            int @NonNull [] dilationRate,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer biasRegularizer) {
        public Config {
            kernelSize = single("kernel_size", kernelSize);
            strides = single("strides", strides);
            dilationRate = single("dilation_rate", dilationRate);
            Objects.requireNonNull(padding, "padding");
            // The 2-D config checks filters, data format, activation and the strides/dilation combination.
            as2d(name, filters, kernelSize, strides, padding, dataFormat, dilationRate, activation, useBias, kernelInitializer,
                    biasInitializer, kernelRegularizer, biasRegularizer);
        }

        static int[] single(String key, int[] v) {
            if (v == null || v.length != 1 || v[0] < 1) {
                throw new IllegalArgumentException(key + ": expected one positive integer in a list, e.g. [3], got " + Arrays.toString(v));
            }
            return v.clone();
        }

        Conv2D.Config as2d() {
            return as2d(name, filters, kernelSize, strides, padding, dataFormat, dilationRate, activation, useBias, kernelInitializer,
                    biasInitializer, kernelRegularizer, biasRegularizer);
        }

        private static Conv2D.Config as2d(@Nullable String name, int filters, int[] k, int[] s, Padding p, String df, int[] d,
                                          Activation a, boolean bias, Initializer ki, Initializer bi, @Nullable Regularizer kr,
                                          @Nullable Regularizer br) {
            return new Conv2D.Config(name, filters, new int[] {1, k[0]}, new int[] {1, s[0]}, p, df, new int[] {1, d[0]}, a, bias, ki, bi, kr, br);
        }

        Config with(@Nullable String name, int[] strides, Padding padding, int[] dilation, Activation activation, boolean useBias,
                    Initializer ki, @Nullable Regularizer kr) {
            return new Config(name, filters, kernelSize, strides, padding, dataFormat, dilation, activation, useBias, ki, biasInitializer, kr, biasRegularizer);
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
            return "Conv1D.Config[name=" + name + ", filters=" + filters + ", kernel_size=" + Arrays.toString(kernelSize)
                    + ", strides=" + Arrays.toString(strides) + ", padding=" + padding + "]";
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Conv1D", Config.class, defaults(1, 1), Set.of("filters", "kernel_size"), Conv1D::new);

    private final Config config;

    public Conv1D(@NonNull Config config) {
        this.config = config;
    }

    /** Keras defaults: stride 1, valid padding, no dilation, linear activation, bias, Glorot-uniform kernel. */
    public static @NonNull Conv1D of(int filters, int kernelSize) {
        return new Conv1D(defaults(filters, kernelSize));
    }

    private static Config defaults(int filters, int kernel) {
        return new Config(null, filters, new int[] {kernel}, new int[] {1}, Padding.VALID, "channels_last", new int[] {1},
                Activation.LINEAR, true, Initializer.GLOROT_UNIFORM, Initializer.ZEROS, null, null);
    }

    public @NonNull Conv1D strides(int stride) {
        Config c = config;
        return new Conv1D(c.with(c.name(), new int[] {stride}, c.padding(), c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), c.kernelRegularizer()));
    }

    public @NonNull Conv1D padding(@NonNull Padding padding) {
        Config c = config;
        return new Conv1D(c.with(c.name(), c.strides(), padding, c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), c.kernelRegularizer()));
    }

    public @NonNull Conv1D dilation(int dilation) {
        Config c = config;
        return new Conv1D(c.with(c.name(), c.strides(), c.padding(), new int[] {dilation}, c.activation(), c.useBias(), c.kernelInitializer(), c.kernelRegularizer()));
    }

    public @NonNull Conv1D activation(@NonNull Activation activation) {
        Config c = config;
        return new Conv1D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), activation, c.useBias(), c.kernelInitializer(), c.kernelRegularizer()));
    }

    public @NonNull Conv1D useBias(boolean useBias) {
        Config c = config;
        return new Conv1D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), c.activation(), useBias, c.kernelInitializer(), c.kernelRegularizer()));
    }

    public @NonNull Conv1D kernelInitializer(@NonNull Initializer init) {
        Config c = config;
        return new Conv1D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), c.activation(), c.useBias(), init, c.kernelRegularizer()));
    }

    public @NonNull Conv1D kernelRegularizer(@Nullable Regularizer reg) {
        Config c = config;
        return new Conv1D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), reg));
    }

    @Override
    public Conv1D named(String name) {
        Config c = config;
        return new Conv1D(c.with(name, c.strides(), c.padding(), c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), c.kernelRegularizer()));
    }

    @Override
    public String type() {
        return "Conv1D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Activation outputActivation() {
        return config.activation();
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException("Conv1D '" + name() + "' expects samples shaped [steps, channels], got " + input
                    + (input.rank() == 1 ? "; add a channel axis with Reshape" : ""));
        }
        int steps = config.padding().outputLength(input.dim(0), config.kernelSize()[0], config.strides()[0], config.dilationRate()[0]);
        if (steps < 1) {
            throw new ShapeException("Conv1D '" + name() + "': kernel_size " + config.kernelSize()[0] + " (dilation " + config.dilationRate()[0]
                    + ") is longer than its input " + input + " with padding \"valid\"");
        }
        return Shape.of(steps, config.filters());
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {config.kernelSize()[0], input.dim(1), config.filters()}, config.kernelInitializer(), config.kernelRegularizer()));
        if (config.useBias()) {
            p.add(new ParamSpec("bias", new int[] {config.filters()}, config.biasInitializer(), config.biasRegularizer()));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return new Conv2D(config.as2d()).compile(new ReshapedContext(ctx, ReshapedContext.asImage(ctx.inputShape()), ReshapedContext.asImage(ctx.outputShape())));
    }
}
