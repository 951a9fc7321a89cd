package dlkit.layers.convolution;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Padding;
import dlkit.layers.ParamSpec;
import dlkit.layers.core.ActivationLayer;
import dlkit.layers.internal.SubContext;
import dlkit.layers.normalization.BatchNormalization;
import dlkit.tensor.Blas;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A residual block (He et al. 2015) over channels-last images: two convolutions (k×k, k×k) or three (1×1, k×k, 1×1),
 * each followed by BatchNormalization (unless turned off) and ReLU except the last, whose normalised output is added to the shortcut
 * before the final ReLU. The shortcut is the input itself when the shape is kept, else a strided 1×1 projection with
 * BatchNormalization. The first convolution carries the stride. Convolutions have no bias (BatchNormalization follows).
 * Weights are the inner layers' under prefixes: {@code conv1_kernel}, {@code bn1_gamma}, …, {@code shortcut_conv_kernel}.
 */
public final class ResidualBlock extends AbstractLayer<ResidualBlock.Config, ResidualBlock.Builder, ResidualBlock> {
    public record Config(@Nullable String name, int filters, int kernelSize, int strides, int convolutions, boolean batchNormalization,
                         double momentum) implements LayerConfig {
        public Config {
            if (filters <= 0) {
                throw new IllegalArgumentException("filters: expected a positive integer, got " + filters);
            }
            if (kernelSize <= 0 || kernelSize % 2 == 0) {
                throw new IllegalArgumentException("kernel_size: expected a positive odd integer (same padding keeps the size), got " + kernelSize);
            }
            if (strides <= 0) {
                throw new IllegalArgumentException("strides: expected a positive integer, got " + strides);
            }
            if (convolutions != 2 && convolutions != 3) {
                throw new IllegalArgumentException("convolutions: expected 2 (basic block) or 3 (bottleneck: 1×1, k×k, 1×1), got " + convolutions);
            }
            if (!(momentum >= 0 && momentum < 1)) {
                throw new IllegalArgumentException("momentum: expected a number in [0, 1), got " + momentum);
            }
        }
    }

    /** A basic block: two 3×3 convolutions with BatchNormalization (Keras' momentum 0.99), stride 1. */
    public static final class Builder extends ConfigBuilder<Config> {
        public int filters = 1;
        public int kernelSize = 3;
        public int strides = 1;
        public int convolutions = 2;
        public boolean batchNormalization = true;
        public double momentum = 0.99;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, ResidualBlock> TYPE = new LayerType<>("ResidualBlock", Builder::new, Set.of("filters"), ResidualBlock::new);

    public ResidualBlock(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull ResidualBlock of(int filters) {
        return TYPE.with(b -> b.filters = filters);
    }

    public @NonNull ResidualBlock strides(int strides) {
        return change(b -> b.strides = strides);
    }

    public @NonNull ResidualBlock kernelSize(int kernelSize) {
        return change(b -> b.kernelSize = kernelSize);
    }

    /** Without BatchNormalization the convolutions get biases instead (the plain block of the PyTorch reference). */
    public @NonNull ResidualBlock batchNormalization(boolean on) {
        return change(b -> b.batchNormalization = on);
    }

    /**
     * The BatchNormalization layers' momentum for their moving statistics (Keras' 0.99 by default; 0.9, PyTorch's
     * 0.1, lets inference follow a short training run).
     */
    public @NonNull ResidualBlock momentum(double momentum) {
        return change(b -> b.momentum = momentum);
    }

    /** 3 for the bottleneck form (1×1, k×k, 1×1). */
    public @NonNull ResidualBlock convolutions(int convolutions) {
        return change(b -> b.convolutions = convolutions);
    }

    /** An inner layer with the prefix its weights take. */
    /** An inner layer and the prefix of its weights' names. */
    public record Part(@NonNull String prefix, @NonNull Layer layer) {}

    /** The main chain, in order (for formats that write the block as its inner layers: ONNX export). */
    public @NonNull List<Part> main() {
        int f = config().filters();
        int k = config().kernelSize();
        int[] sizes = config().convolutions() == 2 ? new int[] {k, k} : new int[] {1, k, 1};
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            int s = i == 0 ? config().strides() : 1;
            boolean bn = config().batchNormalization();
            boolean inner = i < sizes.length - 1;
            // Without BatchNormalization between them, an inner convolution takes the ReLU itself (a post-op on oneDNN).
            Activation act = inner && !bn ? Activation.RELU : Activation.LINEAR;
            parts.add(new Part("conv" + (i + 1) + "_", Conv2D.of(f, sizes[i]).strides(s, s).padding(Padding.SAME).useBias(!bn)
                    .activation(act).kernelInitializer(Initializer.HE_NORMAL)));
            if (bn) {
                parts.add(new Part("bn" + (i + 1) + "_", BatchNormalization.of().momentum(config().momentum())));
            }
            if (inner && bn) {
                parts.add(new Part("relu" + (i + 1) + "_", ActivationLayer.of(Activation.RELU)));
            }
        }
        return parts;
    }

    /** The shortcut chain for an input shaped {@code input}: empty for the identity. */
    public @NonNull List<Part> shortcut(@NonNull Shape input) {
        if (config().strides() == 1 && input.dim(2) == config().filters()) {
            return List.of();
        }
        int s = config().strides();
        boolean bn = config().batchNormalization();
        Part conv = new Part("shortcut_conv_", Conv2D.of(config().filters(), 1).strides(s, s).padding(Padding.SAME).useBias(!bn)
                .kernelInitializer(Initializer.HE_NORMAL));
        return bn ? List.of(conv, new Part("shortcut_bn_", BatchNormalization.of().momentum(config().momentum()))) : List.of(conv);
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 3) {
            throw new ShapeException("ResidualBlock '" + name() + "' expects images shaped [height, width, channels], got " + input);
        }
        Shape s = input;
        for (Part p : main()) {
            s = p.layer().outputShape(s);
        }
        return s;
    }

    @Override
    public long forwardFlops(Shape input) {
        long flops = 0;
        for (List<Part> chain : List.of(main(), shortcut(input))) {
            Shape s = input;
            for (Part p : chain) {
                flops += p.layer().forwardFlops(s);
                s = p.layer().outputShape(s);
            }
        }
        return flops;
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        List<ParamSpec> out = new ArrayList<>();
        for (List<Part> chain : List.of(main(), shortcut(input))) {
            Shape s = input;
            for (Part p : chain) {
                for (ParamSpec spec : p.layer().params(s)) {
                    out.add(new ParamSpec(p.prefix() + spec.name(), spec.shape(), spec.initializer(), spec.regularizer(), spec.trainable()));
                }
                s = p.layer().outputShape(s);
            }
        }
        return out;
    }

    /** A chain of inner kernels, each writing its own planned buffers. */
    private static final class Chain {
        final List<Kernel> kernels = new ArrayList<>();
        Buf out;
        Buf outGrad;

        void forward(int n, boolean training, long step) {
            for (Kernel k : kernels) {
                k.forward(n, training, step);
            }
        }

        void backward(int n) {
            for (int i = kernels.size() - 1; i >= 0; i--) {
                kernels.get(i).backward(n);
            }
        }

        double penalty() {
            double p = 0;
            for (Kernel k : kernels) {
                p += k.penalty();
            }
            return p;
        }
    }

    private static Chain compileChain(BuildContext ctx, List<Part> parts, Buf input, @Nullable Buf inputGrad, @Nullable Buf lastOut) {
        Chain c = new Chain();
        Shape s = ctx.inputShape();
        Buf cur = input;
        @Nullable Buf curGrad = inputGrad;
        int mb = ctx.maxBatch();
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            Shape o = p.layer().outputShape(s);
            Buf out = i == parts.size() - 1 && lastOut != null ? lastOut : Buf.allocate(ctx.dtype(), mb * o.size());
            Buf outGrad = Buf.allocate(ctx.dtype(), mb * o.size());
            c.kernels.add(p.layer().compile(new SubContext(ctx, s, o, mb, cur, curGrad, out, outGrad, p.prefix(), ctx.seed(), null)));
            s = o;
            cur = out;
            curGrad = outGrad;
        }
        c.out = cur;
        c.outGrad = curGrad;
        return c;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int mb = ctx.maxBatch();
        int inSize = ctx.inputShape().size();
        int outSize = ctx.outputShape().size();
        @Nullable Buf dx = ctx.inputGrad();
        // Each path writes its own input gradient; the block's is their sum.
        @Nullable Buf dxMain = dx != null ? Buf.allocate(ctx.dtype(), mb * inSize) : null;
        // The main path's last layer writes the block's output; the shortcut is added to it there.
        Chain main = compileChain(ctx, main(), ctx.input(), dxMain, ctx.output());
        List<Part> shortParts = shortcut(ctx.inputShape());
        @Nullable Buf dxShort = dx != null && !shortParts.isEmpty() ? Buf.allocate(ctx.dtype(), mb * inSize) : null;
        Chain shortcut = shortParts.isEmpty() ? null : compileChain(ctx, shortParts, ctx.input(), dxShort, null);
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        // dL/d(main + shortcut), kept apart: the paths' backward passes may overwrite their own output gradients.
        Buf g = Buf.allocate(ctx.dtype(), mb * outSize);
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                main.forward(n, training, step);
                if (shortcut != null) {
                    shortcut.forward(n, training, step);
                }
                // y = relu(main + shortcut): BLAS and the activation's kernels, exact in either precision.
                int len = n * outSize;
                Blas.axpy(len, 1, shortcut != null ? shortcut.out : x, y);
                Activation.RELU.forward(y, y, n, outSize);
            }

            @Override
            public void backward(int n) {
                int len = n * outSize;
                Activation.RELU.backward(y, y, dy, g, n, outSize);
                main.outGrad.copyFrom(g, 0, 0, len);
                main.backward(n);
                if (shortcut != null) {
                    shortcut.outGrad.copyFrom(g, 0, 0, len);
                    shortcut.backward(n);
                }
                if (dx != null) {
                    // dL/dx = the main path's input gradient + the shortcut's (its own, or the identity's: g).
                    dx.copyFrom(dxMain, 0, 0, n * inSize);
                    Blas.axpy(n * inSize, 1, shortcut != null ? dxShort : g, dx);
                }
            }

            @Override
            public double penalty() {
                return main.penalty() + (shortcut != null ? shortcut.penalty() : 0);
            }
        };
    }
}
