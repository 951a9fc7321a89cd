package dlkit.layers.convolution;

import dlkit.ShapeException;
import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.DataFormat;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Padding;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.ReshapedContext;
import dlkit.layers.internal.Sizes;
import dlkit.layers.internal.SubContext;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * 1-D convolution over sequences {@code [steps, channels]}, kernel {@code [kernel_size, in, filters]} as in Keras.
 * Runs as {@link Conv2D} over {@code [1, steps, channels]} (the same memory), so it shares its paths and tests.
 */
public final class Conv1D extends Convolution<Conv1D.Config, Conv1D.Builder, Conv1D> {
    public record Config(
            @Nullable String name,
            int filters,
            @NonNull List<Integer> kernelSize,
            @NonNull List<Integer> strides,
            @NonNull Padding padding,
            @NonNull DataFormat dataFormat,
            @NonNull List<Integer> dilationRate,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer biasRegularizer) implements Options, LayerConfig {
        public Config {
            kernelSize = Sizes.single("kernel_size", kernelSize);
            strides = Sizes.single("strides", strides);
            dilationRate = Sizes.single("dilation_rate", dilationRate);
            check(filters, strides, dilationRate, padding == Padding.CAUSAL ? Padding.VALID : padding, dataFormat, activation, kernelInitializer, biasInitializer);
        }

        /** The same convolution over a one-row image (for causal padding, the valid one over the left-padded rows). */
        Conv2D.Config as2d() {
            return new Conv2D.Config(name, filters, List.of(1, kernelSize.get(0)), List.of(1, strides.get(0)),
                    padding == Padding.CAUSAL ? Padding.VALID : padding, dataFormat,
                    List.of(1, dilationRate.get(0)), activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, 1);
        }
    }

    public static final class Builder extends Convolution.Builder<Config> {
        public Builder() {
            super(Config.class, List.of(1));
        }
    }

    public static final LayerType<Config, Builder, Conv1D> TYPE = new LayerType<>("Conv1D", Builder::new, Set.of("filters", "kernel_size"), Conv1D::new);

    public Conv1D(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Conv1D of(int filters, int kernelSize) {
        return TYPE.with(b -> {
            b.filters = filters;
            b.kernelSize = List.of(kernelSize);
        });
    }

    public @NonNull Conv1D strides(int stride) {
        return change(b -> b.strides = List.of(stride));
    }

    public @NonNull Conv1D dilation(int dilation) {
        return change(b -> b.dilationRate = List.of(dilation));
    }

    @Override
    public long forwardFlops(Shape input) {
        return 2L * outputShape(input).size() * config().kernelSize().get(0) * input.dim(1);
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException("Conv1D '" + name() + "' expects samples shaped [steps, channels], got " + input
                    + (input.rank() == 1 ? "; add a channel axis with Reshape" : ""));
        }
        Config c = config();
        int k = c.kernelSize().get(0);
        int d = c.dilationRate().get(0);
        int steps = c.padding().outputLength(input.dim(0), k, c.strides().get(0), d);
        if (steps < 1) {
            throw new ShapeException("Conv1D '" + name() + "': kernel_size " + k + " (dilation " + d + ") is longer than its input " + input
                    + " with padding \"valid\"");
        }
        return Shape.of(steps, c.filters());
    }

    @Override
    protected int[] kernelShape(Shape input) {
        return new int[] {config().kernelSize().get(0), input.dim(1), config().filters()};
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        if (config().padding() != Padding.CAUSAL) {
            return new Conv2D(config().as2d()).compile(new ReshapedContext(ctx, ReshapedContext.asImage(ctx.inputShape()),
                    ReshapedContext.asImage(ctx.outputShape())));
        }
        // Causal: the input copied after (k - 1)·d zero steps into a planned buffer, then the valid convolution over it.
        Shape in = ctx.inputShape();
        int before = (config().kernelSize().get(0) - 1) * config().dilationRate().get(0);
        Shape padded = Shape.of(in.dim(0) + before, in.dim(1));
        int inSize = in.dim(0) * in.dim(1);
        int padSize = padded.dim(0) * padded.dim(1);
        int offset = before * in.dim(1);
        Buf pad = ctx.scratch(padSize);
        Buf padGrad = ctx.inputGrad() == null ? null : ctx.scratch(padSize);
        SubContext sub = new SubContext(ctx, padded, ctx.outputShape(), ctx.maxBatch(), pad, padGrad, ctx.output(), ctx.outputGrad(), "", ctx.seed(), null);
        Kernel conv = new Conv2D(config().as2d()).compile(new ReshapedContext(sub, ReshapedContext.asImage(padded),
                ReshapedContext.asImage(ctx.outputShape())));
        Buf input = ctx.input();
        Buf inputGrad = ctx.inputGrad();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (int b = 0; b < n; b++) {
                    pad.slice(b * padSize, offset).fill(0, offset);
                    pad.copyFrom(input, b * inSize, b * padSize + offset, inSize);
                }
                conv.forward(n, training, step);
            }

            @Override
            public void backward(int n) {
                conv.backward(n);
                if (inputGrad != null) {
                    for (int b = 0; b < n; b++) {
                        inputGrad.copyFrom(padGrad, b * padSize + offset, b * inSize, inSize);
                    }
                }
            }

            @Override
            public double penalty() {
                return conv.penalty();
            }
        };
    }
}
