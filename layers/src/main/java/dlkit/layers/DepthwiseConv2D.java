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
 * Depthwise 2-D convolution: each input channel convolved with its own {@code depth_multiplier} filters, output
 * channel {@code c * depth_multiplier + m} as in Keras; kernel {@code [kh, kw, in, depth_multiplier]}. Runs libnd4j's
 * {@code depthwise_conv2d} ops (oneDNN).
 */
public final class DepthwiseConv2D implements Layer {
    public record Config(
            @Nullable String name,
            int @NonNull [] kernelSize,
            int @NonNull [] strides,
            @NonNull Padding padding,
            int depthMultiplier,
            @NonNull String dataFormat,
            int @NonNull [] dilationRate,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer depthwiseInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer depthwiseRegularizer,
            @Nullable Regularizer biasRegularizer) {
        public Config {
            if (depthMultiplier < 1) {
                throw new IllegalArgumentException("depth_multiplier: expected a positive integer, got " + depthMultiplier);
            }
            // Shares Conv2D's checks of kernel size, strides, dilation and data format.
            Conv2D.Config c = new Conv2D.Config(name, 1, kernelSize, strides, padding, dataFormat, dilationRate, activation, useBias,
                    depthwiseInitializer, biasInitializer, depthwiseRegularizer, biasRegularizer);
            kernelSize = c.kernelSize();
            strides = c.strides();
            dilationRate = c.dilationRate();
        }

        Config with(@Nullable String name, int[] strides, Padding padding, int depthMultiplier, Activation activation, boolean useBias) {
            return new Config(name, kernelSize, strides, padding, depthMultiplier, dataFormat, dilationRate, activation, useBias,
                    depthwiseInitializer, biasInitializer, depthwiseRegularizer, biasRegularizer);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && Objects.equals(name, c.name) && Arrays.equals(kernelSize, c.kernelSize)
                    && Arrays.equals(strides, c.strides) && padding == c.padding && depthMultiplier == c.depthMultiplier
                    && dataFormat.equals(c.dataFormat) && Arrays.equals(dilationRate, c.dilationRate) && activation == c.activation
                    && useBias == c.useBias && depthwiseInitializer.equals(c.depthwiseInitializer) && biasInitializer.equals(c.biasInitializer)
                    && Objects.equals(depthwiseRegularizer, c.depthwiseRegularizer) && Objects.equals(biasRegularizer, c.biasRegularizer);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(kernelSize), depthMultiplier, padding);
        }

        @Override
        public String toString() {
            return "DepthwiseConv2D.Config[name=" + name + ", kernel_size=" + Arrays.toString(kernelSize) + ", depth_multiplier="
                    + depthMultiplier + ", strides=" + Arrays.toString(strides) + ", padding=" + padding + "]";
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "DepthwiseConv2D", Config.class, defaults(new int[] {1, 1}), Set.of("kernel_size"), DepthwiseConv2D::new);

    private final Config config;

    public DepthwiseConv2D(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull DepthwiseConv2D of(int kernelSize) {
        return new DepthwiseConv2D(defaults(new int[] {kernelSize, kernelSize}));
    }

    private static Config defaults(int[] kernel) {
        return new Config(null, kernel, new int[] {1, 1}, Padding.VALID, 1, "channels_last", new int[] {1, 1}, Activation.LINEAR, true,
                Initializer.GLOROT_UNIFORM, Initializer.ZEROS, null, null);
    }

    public @NonNull DepthwiseConv2D strides(int sh, int sw) {
        Config c = config;
        return new DepthwiseConv2D(c.with(c.name(), new int[] {sh, sw}, c.padding(), c.depthMultiplier(), c.activation(), c.useBias()));
    }

    public @NonNull DepthwiseConv2D padding(@NonNull Padding padding) {
        Config c = config;
        return new DepthwiseConv2D(c.with(c.name(), c.strides(), padding, c.depthMultiplier(), c.activation(), c.useBias()));
    }

    public @NonNull DepthwiseConv2D depthMultiplier(int multiplier) {
        Config c = config;
        return new DepthwiseConv2D(c.with(c.name(), c.strides(), c.padding(), multiplier, c.activation(), c.useBias()));
    }

    public @NonNull DepthwiseConv2D activation(@NonNull Activation activation) {
        Config c = config;
        return new DepthwiseConv2D(c.with(c.name(), c.strides(), c.padding(), c.depthMultiplier(), activation, c.useBias()));
    }

    public @NonNull DepthwiseConv2D useBias(boolean useBias) {
        Config c = config;
        return new DepthwiseConv2D(c.with(c.name(), c.strides(), c.padding(), c.depthMultiplier(), c.activation(), useBias));
    }

    @Override
    public DepthwiseConv2D named(String name) {
        Config c = config;
        return new DepthwiseConv2D(c.with(name, c.strides(), c.padding(), c.depthMultiplier(), c.activation(), c.useBias()));
    }

    @Override
    public String type() {
        return "DepthwiseConv2D";
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
        if (input.rank() != 3) {
            throw new ShapeException("DepthwiseConv2D '" + name() + "' expects samples shaped [height, width, channels], got " + input);
        }
        int[] k = config.kernelSize();
        int[] s = config.strides();
        int[] d = config.dilationRate();
        int oh = config.padding().outputLength(input.dim(0), k[0], s[0], d[0]);
        int ow = config.padding().outputLength(input.dim(1), k[1], s[1], d[1]);
        if (oh < 1 || ow < 1) {
            throw new ShapeException("DepthwiseConv2D '" + name() + "': kernel_size " + Arrays.toString(k) + " (dilation " + Arrays.toString(d)
                    + ") is larger than its input " + input + " with padding \"valid\"");
        }
        return Shape.of(oh, ow, input.dim(2) * config.depthMultiplier());
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        int[] k = config.kernelSize();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {k[0], k[1], input.dim(2), config.depthMultiplier()}, config.depthwiseInitializer(),
                config.depthwiseRegularizer()));
        if (config.useBias()) {
            p.add(new ParamSpec("bias", new int[] {input.dim(2) * config.depthMultiplier()}, config.biasInitializer(), config.biasRegularizer()));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int[] k = config.kernelSize();
        int[] s = config.strides();
        int[] d = config.dilationRate();
        int ph = config.padding().padBefore(in.dim(0), out.dim(0), k[0], s[0], d[0]);
        int pw = config.padding().padBefore(in.dim(1), out.dim(1), k[1], s[1], d[1]);
        return NativeConv.compile(ctx, "depthwise_conv2d", NativeConv.iArgs(k, s, d, ph, pw, config.padding()),
                new long[] {k[0], k[1], in.dim(2), config.depthMultiplier()}, config.activation(), config.useBias(),
                config.depthwiseRegularizer(), config.biasRegularizer());
    }
}
