package dlkit.layers.convolution;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.DataFormat;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Padding;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Transposed 2-D convolution (the gradient of a convolution, used to upsample in decoders), channels-last, kernel
 * {@code [kh, kw, filters, in]} as in Keras. Output size: {@code in * stride} with "same" padding, {@code (in - 1) *
 * stride + (kernel - 1) * dilation + 1} with "valid". Runs libnd4j's {@code deconv2d} ops.
 */
public final class Conv2DTranspose extends Convolution<Conv2DTranspose.Config, Conv2DTranspose.Builder, Conv2DTranspose> {
    public record Config(
            @Nullable String name,
            int filters,
            @NonNull List<Integer> kernelSize,
            @NonNull List<Integer> strides,
            @NonNull Padding padding,
            @Nullable List<Integer> outputPadding,
            @NonNull DataFormat dataFormat,
            @NonNull List<Integer> dilationRate,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer biasRegularizer) implements Options, LayerConfig {
        public Config {
            if (outputPadding != null) {
                throw new IllegalArgumentException("output_padding: only null (Keras' default, output size from padding and strides) is supported, got "
                        + outputPadding);
            }
            kernelSize = Sizes.pair("kernel_size", kernelSize);
            strides = Sizes.pair("strides", strides);
            dilationRate = Sizes.pair("dilation_rate", dilationRate);
            check(filters, strides, dilationRate, padding, dataFormat, activation, kernelInitializer, biasInitializer);
            for (int i = 0; i < 2; i++) {
                int span = (kernelSize.get(i) - 1) * dilationRate.get(i) + 1;
                if (padding == Padding.VALID && span < strides.get(i)) {
                    throw new IllegalArgumentException("kernel_size " + kernelSize + " smaller than strides " + strides
                            + " with padding \"valid\" is not supported (it leaves gaps); use a kernel at least as large as the stride");
                }
                // deconv2d's own "same" padding, (span − stride) / 2, is negative here where Keras pads nothing: it would
                // shift the output by a row or column.
                if (padding == Padding.SAME && span <= strides.get(i) - 2) {
                    throw new IllegalArgumentException("kernel_size " + kernelSize + " (dilated span " + span + ") with strides " + strides
                            + " and padding \"same\" is not supported (strides exceed the kernel by 2 or more); use a kernel at least stride - 1 wide");
                }
            }
        }
    }

    public static final class Builder extends Convolution.Builder<Config> {
        /** Keras' null: the output size follows from padding and strides (the only form supported). */
        public @Nullable List<Integer> outputPadding;

        public Builder() {
            super(Config.class, List.of(1, 1));
        }
    }

    public static final LayerType<Config, Builder, Conv2DTranspose> TYPE = new LayerType<>("Conv2DTranspose", Builder::new, Set.of("filters", "kernel_size"), Conv2DTranspose::new);

    public Conv2DTranspose(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Conv2DTranspose of(int filters, int kernelSize) {
        return TYPE.with(b -> {
            b.filters = filters;
            b.kernelSize = List.of(kernelSize, kernelSize);
        });
    }

    public @NonNull Conv2DTranspose strides(int sh, int sw) {
        return change(b -> b.strides = List.of(sh, sw));
    }

    private int outputLength(int in, int axis) {
        Config c = config();
        int s = c.strides().get(axis);
        return c.padding() == Padding.SAME ? in * s : (in - 1) * s + (c.kernelSize().get(axis) - 1) * c.dilationRate().get(axis) + 1;
    }

    @Override
    public Shape outputShape(Shape input) {
        Sizes.requireImage(type(), name(), input);
        return Shape.of(outputLength(input.dim(0), 0), outputLength(input.dim(1), 1), config().filters());
    }

    @Override
    protected int[] kernelShape(Shape input) {
        List<Integer> k = config().kernelSize();
        return new int[] {k.get(0), k.get(1), config().filters(), input.dim(2)};
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Config c = config();
        ConvWindow w = ConvWindow.of(c.kernelSize(), c.strides(), c.dilationRate(), c.padding());
        int[] k = w.k();
        // deconv2d derives "same" padding itself (as the forward convolution from output to input would pad).
        return NativeConv.compile(ctx, "deconv2d", NativeConv.iArgs(k, w.s(), w.d(), 0, 0, c.padding()),
                new long[] {k[0], k[1], c.filters(), ctx.inputShape().dim(2)}, c.activation(), c.useBias(), c.kernelRegularizer(), c.biasRegularizer());
    }
}
