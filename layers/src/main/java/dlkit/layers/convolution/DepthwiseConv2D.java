package dlkit.layers.convolution;

import dlkit.layers.AbstractLayer;
import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.DataFormat;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Padding;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Depthwise 2-D convolution: each input channel convolved with its own {@code depth_multiplier} filters, output
 * channel {@code c * depth_multiplier + m} as in Keras; kernel {@code [kh, kw, in, depth_multiplier]}. Runs libnd4j's
 * {@code depthwise_conv2d} ops (oneDNN).
 */
public final class DepthwiseConv2D extends AbstractLayer<DepthwiseConv2D.Config, DepthwiseConv2D.Builder, DepthwiseConv2D> {
    public record Config(
            @Nullable String name,
            @NonNull List<Integer> kernelSize,
            @NonNull List<Integer> strides,
            @NonNull Padding padding,
            int depthMultiplier,
            @NonNull DataFormat dataFormat,
            @NonNull List<Integer> dilationRate,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer depthwiseInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer depthwiseRegularizer,
            @Nullable Regularizer biasRegularizer) implements LayerConfig {
        public Config {
            if (depthMultiplier < 1) {
                throw new IllegalArgumentException("depth_multiplier: expected a positive integer, got " + depthMultiplier);
            }
            kernelSize = Sizes.pair("kernel_size", kernelSize);
            strides = Sizes.pair("strides", strides);
            dilationRate = Sizes.pair("dilation_rate", dilationRate);
            Convolution.check(1, strides, dilationRate, padding, dataFormat, activation, depthwiseInitializer, biasInitializer);
        }
    }

    /** Keras defaults: stride 1, valid padding, multiplier 1, no dilation, linear activation, bias, Glorot-uniform kernel. */
    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<Integer> kernelSize = List.of(1, 1);
        public List<Integer> strides = List.of(1, 1);
        public Padding padding = Padding.VALID;
        public int depthMultiplier = 1;
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
        public List<Integer> dilationRate = List.of(1, 1);
        public Activation activation = Activation.LINEAR;
        public boolean useBias = true;
        public Initializer depthwiseInitializer = Initializer.GLOROT_UNIFORM;
        public Initializer biasInitializer = Initializer.ZEROS;
        public @Nullable Regularizer depthwiseRegularizer;
        public @Nullable Regularizer biasRegularizer;
    }

    public static final LayerType<Config, Builder, DepthwiseConv2D> TYPE = new LayerType<>("DepthwiseConv2D", Builder::new, Set.of("kernel_size"), DepthwiseConv2D::new);

    public DepthwiseConv2D(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull DepthwiseConv2D of(int kernelSize) {
        return TYPE.with(b -> b.kernelSize = List.of(kernelSize, kernelSize));
    }

    public @NonNull DepthwiseConv2D strides(int sh, int sw) {
        return change(b -> b.strides = List.of(sh, sw));
    }

    public @NonNull DepthwiseConv2D padding(@NonNull Padding padding) {
        return change(b -> b.padding = padding);
    }

    public @NonNull DepthwiseConv2D depthMultiplier(int multiplier) {
        return change(b -> b.depthMultiplier = multiplier);
    }

    public @NonNull DepthwiseConv2D activation(@NonNull Activation activation) {
        return change(b -> b.activation = activation);
    }

    public @NonNull DepthwiseConv2D useBias(boolean useBias) {
        return change(b -> b.useBias = useBias);
    }

    @Override
    public Activation outputActivation() {
        return config().activation();
    }

    private ConvWindow window() {
        return ConvWindow.of(config().kernelSize(), config().strides(), config().dilationRate(), config().padding());
    }

    @Override
    public Shape outputShape(Shape input) {
        Sizes.requireImage(type(), name(), input);
        int[] o = window().outputSize(type(), name(), input);
        return Shape.of(o[0], o[1], input.dim(2) * config().depthMultiplier());
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        Config c = config();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {c.kernelSize().get(0), c.kernelSize().get(1), input.dim(2), c.depthMultiplier()},
                c.depthwiseInitializer(), c.depthwiseRegularizer()));
        if (c.useBias()) {
            p.add(new ParamSpec("bias", new int[] {input.dim(2) * c.depthMultiplier()}, c.biasInitializer(), c.biasRegularizer()));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Config c = config();
        ConvWindow w = window();
        return NativeConv.compile(ctx, "depthwise_conv2d", w.nativeArgs(ctx.inputShape(), ctx.outputShape()),
                new long[] {w.k()[0], w.k()[1], ctx.inputShape().dim(2), c.depthMultiplier()}, c.activation(), c.useBias(),
                c.depthwiseRegularizer(), c.biasRegularizer());
    }
}
