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
 * Transposed 2-D convolution (the gradient of a convolution, used to upsample in decoders), channels-last, kernel
 * {@code [kh, kw, filters, in]} as in Keras. Output size: {@code in * stride} with "same" padding, {@code (in - 1) *
 * stride + (kernel - 1) * dilation + 1} with "valid". Runs libnd4j's {@code deconv2d} ops.
 */
public final class Conv2DTranspose implements Layer {
    public record Config(
            @Nullable String name,
            int filters,
            int @NonNull [] kernelSize,
            int @NonNull [] strides,
            @NonNull Padding padding,
            int @Nullable [] outputPadding,
            @NonNull String dataFormat,
            int @NonNull [] dilationRate,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer biasRegularizer) {
        public Config {
            if (outputPadding != null) {
                throw new IllegalArgumentException("output_padding: only null (Keras' default, output size from padding and strides) is supported, got "
                        + Arrays.toString(outputPadding));
            }
            Conv2D.Config c = as2d(name, filters, kernelSize, strides, padding, dataFormat, dilationRate, activation, useBias,
                    kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer);
            kernelSize = c.kernelSize();
            strides = c.strides();
            dilationRate = c.dilationRate();
            int effH = (kernelSize[0] - 1) * dilationRate[0] + 1;
            int effW = (kernelSize[1] - 1) * dilationRate[1] + 1;
            if (padding == Padding.VALID && (effH < strides[0] || effW < strides[1])) {
                throw new IllegalArgumentException("kernel_size " + Arrays.toString(kernelSize) + " smaller than strides "
                        + Arrays.toString(strides) + " with padding \"valid\" is not supported (it leaves gaps); use a kernel at least as large as the stride");
            }
        }

        private static Conv2D.Config as2d(@Nullable String name, int filters, int[] k, int[] s, Padding p, String df, int[] d, Activation a,
                                          boolean bias, Initializer ki, Initializer bi, @Nullable Regularizer kr, @Nullable Regularizer br) {
            return new Conv2D.Config(name, filters, k, s, p, df, d, a, bias, ki, bi, kr, br);
        }

        Conv2D.Config as2d() {
            return as2d(name, filters, kernelSize, strides, padding, dataFormat, dilationRate, activation, useBias, kernelInitializer,
                    biasInitializer, kernelRegularizer, biasRegularizer);
        }

        Config with(@Nullable String name, int[] strides, Padding padding, Activation activation, boolean useBias) {
            return new Config(name, filters, kernelSize, strides, padding, null, dataFormat, dilationRate, activation, useBias,
                    kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer);
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
            return "Conv2DTranspose.Config[name=" + name + ", filters=" + filters + ", kernel_size=" + Arrays.toString(kernelSize)
                    + ", strides=" + Arrays.toString(strides) + ", padding=" + padding + "]";
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Conv2DTranspose", Config.class, defaults(1, new int[] {1, 1}), Set.of("filters", "kernel_size"), Conv2DTranspose::new);

    private final Config config;

    public Conv2DTranspose(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Conv2DTranspose of(int filters, int kernelSize) {
        return new Conv2DTranspose(defaults(filters, new int[] {kernelSize, kernelSize}));
    }

    private static Config defaults(int filters, int[] kernel) {
        return new Config(null, filters, kernel, new int[] {1, 1}, Padding.VALID, null, "channels_last", new int[] {1, 1}, Activation.LINEAR,
                true, Initializer.GLOROT_UNIFORM, Initializer.ZEROS, null, null);
    }

    public @NonNull Conv2DTranspose strides(int sh, int sw) {
        Config c = config;
        return new Conv2DTranspose(c.with(c.name(), new int[] {sh, sw}, c.padding(), c.activation(), c.useBias()));
    }

    public @NonNull Conv2DTranspose padding(@NonNull Padding padding) {
        Config c = config;
        return new Conv2DTranspose(c.with(c.name(), c.strides(), padding, c.activation(), c.useBias()));
    }

    public @NonNull Conv2DTranspose activation(@NonNull Activation activation) {
        Config c = config;
        return new Conv2DTranspose(c.with(c.name(), c.strides(), c.padding(), activation, c.useBias()));
    }

    public @NonNull Conv2DTranspose useBias(boolean useBias) {
        Config c = config;
        return new Conv2DTranspose(c.with(c.name(), c.strides(), c.padding(), c.activation(), useBias));
    }

    @Override
    public Conv2DTranspose named(String name) {
        Config c = config;
        return new Conv2DTranspose(c.with(name, c.strides(), c.padding(), c.activation(), c.useBias()));
    }

    @Override
    public String type() {
        return "Conv2DTranspose";
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

    private int outputLength(int in, int k, int s, int d) {
        return config.padding() == Padding.SAME ? in * s : (in - 1) * s + (k - 1) * d + 1;
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 3) {
            throw new ShapeException("Conv2DTranspose '" + name() + "' expects samples shaped [height, width, channels], got " + input);
        }
        int[] k = config.kernelSize();
        int[] s = config.strides();
        int[] d = config.dilationRate();
        return Shape.of(outputLength(input.dim(0), k[0], s[0], d[0]), outputLength(input.dim(1), k[1], s[1], d[1]), config.filters());
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        int[] k = config.kernelSize();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {k[0], k[1], config.filters(), input.dim(2)}, config.kernelInitializer(), config.kernelRegularizer()));
        if (config.useBias()) {
            p.add(new ParamSpec("bias", new int[] {config.filters()}, config.biasInitializer(), config.biasRegularizer()));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int[] k = config.kernelSize();
        int[] s = config.strides();
        int[] d = config.dilationRate();
        // deconv2d derives "same" padding itself (as the forward convolution from output to input would pad).
        return NativeConv.compile(ctx, "deconv2d", NativeConv.iArgs(k, s, d, 0, 0, config.padding()),
                new long[] {k[0], k[1], config.filters(), ctx.inputShape().dim(2)}, config.activation(), config.useBias(),
                config.kernelRegularizer(), config.biasRegularizer());
    }
}
