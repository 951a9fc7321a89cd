package dlkit.layers;

import dlkit.ShapeException;
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
public final class ResidualBlock implements Layer {
    public record Config(@Nullable String name, int filters, int kernelSize, int strides, int convolutions, boolean batchNormalization,
                         double momentum) {
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

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "ResidualBlock", Config.class, new Config(null, 1, 3, 1, 2, true, 0.99), Set.of("filters"), ResidualBlock::new);

    private final Config config;

    public ResidualBlock(@NonNull Config config) {
        this.config = config;
    }

    /** A basic block: two 3×3 convolutions with {@code filters} channels, stride 1. */
    public static @NonNull ResidualBlock of(int filters) {
        return new ResidualBlock(new Config(null, filters, 3, 1, 2, true, 0.99));
    }

    public @NonNull ResidualBlock strides(int strides) {
        return new ResidualBlock(new Config(config.name(), config.filters(), config.kernelSize(), strides, config.convolutions(), config.batchNormalization(), config.momentum()));
    }

    public @NonNull ResidualBlock kernelSize(int kernelSize) {
        return new ResidualBlock(new Config(config.name(), config.filters(), kernelSize, config.strides(), config.convolutions(), config.batchNormalization(), config.momentum()));
    }

    /** Without BatchNormalization the convolutions get biases instead (the plain block of the PyTorch reference). */
    public @NonNull ResidualBlock batchNormalization(boolean on) {
        return new ResidualBlock(new Config(config.name(), config.filters(), config.kernelSize(), config.strides(), config.convolutions(), on, config.momentum()));
    }

    /**
     * The BatchNormalization layers' momentum for their moving statistics (Keras' 0.99 by default; 0.9, PyTorch's
     * 0.1, lets inference follow a short training run).
     */
    public @NonNull ResidualBlock momentum(double momentum) {
        return new ResidualBlock(new Config(config.name(), config.filters(), config.kernelSize(), config.strides(), config.convolutions(),
                config.batchNormalization(), momentum));
    }

    /** 3 for the bottleneck form (1×1, k×k, 1×1). */
    public @NonNull ResidualBlock convolutions(int convolutions) {
        return new ResidualBlock(new Config(config.name(), config.filters(), config.kernelSize(), config.strides(), convolutions, config.batchNormalization(), config.momentum()));
    }

    @Override
    public String type() {
        return "ResidualBlock";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public ResidualBlock named(String name) {
        return new ResidualBlock(new Config(name, config.filters(), config.kernelSize(), config.strides(), config.convolutions(), config.batchNormalization(), config.momentum()));
    }

    @Override
    public Config config() {
        return config;
    }

    /** An inner layer with the prefix its weights take. */
    record Part(String prefix, Layer layer) {}

    List<Part> main() {
        int f = config.filters();
        int k = config.kernelSize();
        int[] sizes = config.convolutions() == 2 ? new int[] {k, k} : new int[] {1, k, 1};
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            int s = i == 0 ? config.strides() : 1;
            boolean bn = config.batchNormalization();
            parts.add(new Part("conv" + (i + 1) + "_", Conv2D.of(f, sizes[i]).strides(s, s).padding(Padding.SAME).useBias(!bn)
                    .kernelInitializer(Initializer.HE_NORMAL)));
            if (bn) {
                parts.add(new Part("bn" + (i + 1) + "_", BatchNormalization.of().momentum(config.momentum())));
            }
            if (i < sizes.length - 1) {
                parts.add(new Part("relu" + (i + 1) + "_", ActivationLayer.of(Activation.RELU)));
            }
        }
        return parts;
    }

    List<Part> shortcut(Shape input) {
        if (config.strides() == 1 && input.dim(2) == config.filters()) {
            return List.of();
        }
        int s = config.strides();
        boolean bn = config.batchNormalization();
        Part conv = new Part("shortcut_conv_", Conv2D.of(config.filters(), 1).strides(s, s).padding(Padding.SAME).useBias(!bn)
                .kernelInitializer(Initializer.HE_NORMAL));
        return bn ? List.of(conv, new Part("shortcut_bn_", BatchNormalization.of().momentum(config.momentum()))) : List.of(conv);
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
    }

    private static Chain compileChain(BuildContext ctx, List<Part> parts, Buf input, @Nullable Buf inputGrad) {
        Chain c = new Chain();
        Shape s = ctx.inputShape();
        Buf cur = input;
        @Nullable Buf curGrad = inputGrad;
        int mb = ctx.maxBatch();
        for (Part p : parts) {
            Shape o = p.layer().outputShape(s);
            Buf out = Buf.allocate(ctx.dtype(), mb * o.size());
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
        Chain main = compileChain(ctx, main(), ctx.input(), dxMain);
        List<Part> shortParts = shortcut(ctx.inputShape());
        @Nullable Buf dxShort = dx != null && !shortParts.isEmpty() ? Buf.allocate(ctx.dtype(), mb * inSize) : null;
        Chain shortcut = shortParts.isEmpty() ? null : compileChain(ctx, shortParts, ctx.input(), dxShort);
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        // Float models add and rectify in float arrays (bulk copies at memcpy speed); float64 ones (gradient checks)
        // stay exact in double arrays.
        Merge merge = ctx.dtype() == dlkit.tensor.DType.FLOAT32 ? new FloatMerge(mb * outSize, dx != null ? mb * inSize : 0)
                : new DoubleMerge(mb * outSize, dx != null ? mb * inSize : 0);
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (Kernel k : main.kernels) {
                    k.forward(n, training, step);
                }
                if (shortcut != null) {
                    for (Kernel k : shortcut.kernels) {
                        k.forward(n, training, step);
                    }
                }
                merge.addRelu(main.out, shortcut != null ? shortcut.out : x, y, n * outSize);
            }

            @Override
            public void backward(int n) {
                // The forward sum was kept: ReLU passes the gradient where it was positive.
                merge.reluGrad(dy, main.outGrad, shortcut != null ? shortcut.outGrad : null, n * outSize);
                for (int i = main.kernels.size() - 1; i >= 0; i--) {
                    main.kernels.get(i).backward(n);
                }
                if (shortcut != null) {
                    for (int i = shortcut.kernels.size() - 1; i >= 0; i--) {
                        shortcut.kernels.get(i).backward(n);
                    }
                }
                if (dx != null) {
                    // dL/dx = the main path's input gradient + the shortcut's (its own, or the identity's: the ReLU gradient).
                    merge.sumInputGrads(dxMain, shortcut != null ? dxShort : null, dx, n * inSize);
                }
            }

            @Override
            public double penalty() {
                double p = 0;
                for (Kernel k : main.kernels) {
                    p += k.penalty();
                }
                if (shortcut != null) {
                    for (Kernel k : shortcut.kernels) {
                        p += k.penalty();
                    }
                }
                return p;
            }
        };
    }

    /** The block's element-wise end: out = relu(main + shortcut), and its gradients. */
    private interface Merge {
        void addRelu(Buf main, Buf shortcut, Buf y, int len);

        /** g = dy where the sum was positive, else 0; written to both paths' output gradients. */
        void reluGrad(Buf dy, Buf mainGrad, @Nullable Buf shortcutGrad, int len);

        /** dx = dxMain + (dxShort, or g for the identity shortcut). */
        void sumInputGrads(Buf dxMain, @Nullable Buf dxShort, Buf dx, int len);
    }

    private static final class FloatMerge implements Merge {
        private final float[] a;
        private final float[] b;
        private final float[] gx;

        FloatMerge(int outLen, int inLen) {
            a = new float[outLen];
            b = new float[Math.max(outLen, inLen)];
            gx = new float[inLen];
        }

        @Override
        public void addRelu(Buf main, Buf shortcut, Buf y, int len) {
            main.get(0, a, 0, len);
            shortcut.get(0, b, 0, len);
            for (int i = 0; i < len; i++) {
                b[i] = Math.max(0f, a[i] + b[i]);
            }
            y.put(0, b, 0, len);
        }

        @Override
        public void reluGrad(Buf dy, Buf mainGrad, @Nullable Buf shortcutGrad, int len) {
            dy.get(0, a, 0, len);
            for (int i = 0; i < len; i++) {
                a[i] = b[i] > 0 ? a[i] : 0f;
            }
            mainGrad.put(0, a, 0, len);
            if (shortcutGrad != null) {
                shortcutGrad.put(0, a, 0, len);
            }
        }

        @Override
        public void sumInputGrads(Buf dxMain, @Nullable Buf dxShort, Buf dx, int len) {
            dxMain.get(0, gx, 0, len);
            float[] other = a;
            if (dxShort != null) {
                dxShort.get(0, b, 0, len);
                other = b;
            }
            for (int i = 0; i < len; i++) {
                gx[i] += other[i];
            }
            dx.put(0, gx, 0, len);
        }
    }

    private static final class DoubleMerge implements Merge {
        private final double[] a;
        private final double[] b;
        private final double[] gx;

        DoubleMerge(int outLen, int inLen) {
            a = new double[outLen];
            b = new double[Math.max(outLen, inLen)];
            gx = new double[inLen];
        }

        @Override
        public void addRelu(Buf main, Buf shortcut, Buf y, int len) {
            main.get(0, a, 0, len);
            shortcut.get(0, b, 0, len);
            for (int i = 0; i < len; i++) {
                b[i] = Math.max(0, a[i] + b[i]);
            }
            y.put(0, b, 0, len);
        }

        @Override
        public void reluGrad(Buf dy, Buf mainGrad, @Nullable Buf shortcutGrad, int len) {
            dy.get(0, a, 0, len);
            for (int i = 0; i < len; i++) {
                a[i] = b[i] > 0 ? a[i] : 0;
            }
            mainGrad.put(0, a, 0, len);
            if (shortcutGrad != null) {
                shortcutGrad.put(0, a, 0, len);
            }
        }

        @Override
        public void sumInputGrads(Buf dxMain, @Nullable Buf dxShort, Buf dx, int len) {
            dxMain.get(0, gx, 0, len);
            double[] other = a;
            if (dxShort != null) {
                dxShort.get(0, b, 0, len);
                other = b;
            }
            for (int i = 0; i < len; i++) {
                gx[i] += other[i];
            }
            dx.put(0, gx, 0, len);
        }
    }
}
