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
import dlkit.layers.internal.Affine;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * 2-D convolution over channels-last input {@code [height, width, channels]}, kernel {@code [kh, kw, in / groups,
 * filters]} as in Keras. Runs libnd4j's {@code conv2d}/{@code conv2d_bp} ops (oneDNN in the shipped native build) on
 * views of the planned buffers; the activation runs as a dlkit kernel afterwards.
 */
public final class Conv2D extends Convolution<Conv2D.Config, Conv2D.Builder, Conv2D> {
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
            @Nullable Regularizer biasRegularizer,
            int groups) implements Options, LayerConfig {
        public Config {
            kernelSize = Sizes.pair("kernel_size", kernelSize);
            strides = Sizes.pair("strides", strides);
            dilationRate = Sizes.pair("dilation_rate", dilationRate);
            check(filters, strides, dilationRate, padding, dataFormat, activation, kernelInitializer, biasInitializer);
            if (groups < 1 || filters % groups != 0) {
                throw new IllegalArgumentException("groups: expected a positive divisor of filters (" + filters + "), got " + groups);
            }
        }
    }

    public static final class Builder extends Convolution.Builder<Config> {
        public int groups = 1;

        public Builder() {
            super(Config.class, List.of(1, 1));
        }
    }

    public static final LayerType<Config, Builder, Conv2D> TYPE = new LayerType<>("Conv2D", Builder::new, Set.of("filters", "kernel_size"), Conv2D::new);

    public Conv2D(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Conv2D of(int filters, int kernelSize) {
        return of(filters, kernelSize, kernelSize);
    }

    public static @NonNull Conv2D of(int filters, int kernelHeight, int kernelWidth) {
        return TYPE.with(b -> {
            b.filters = filters;
            b.kernelSize = List.of(kernelHeight, kernelWidth);
        });
    }

    public @NonNull Conv2D strides(int sh, int sw) {
        return change(b -> b.strides = List.of(sh, sw));
    }

    public @NonNull Conv2D dilation(int dh, int dw) {
        return change(b -> b.dilationRate = List.of(dh, dw));
    }

    /** Grouped convolution: channels and filters in {@code groups} blocks, filter f seeing only its block's channels. */
    public @NonNull Conv2D groups(int groups) {
        return change(b -> b.groups = groups);
    }

    ConvWindow window() {
        return ConvWindow.of(config().kernelSize(), config().strides(), config().dilationRate(), config().padding());
    }

    @Override
    public long forwardFlops(Shape input) {
        Shape out = outputShape(input);
        List<Integer> k = config().kernelSize();
        return 2L * out.size() * k.get(0) * k.get(1) * (input.dim(2) / config().groups());
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 3) {
            throw new ShapeException("Conv2D '" + name() + "' expects samples shaped [height, width, channels], got " + input
                    + (input.rank() == 2 ? "; add a channel axis with Reshape" : ""));
        }
        int[] o = window().outputSize(type(), name(), input);
        if (input.dim(2) % config().groups() != 0) {
            throw new ShapeException("Conv2D '" + name() + "': groups " + config().groups() + " must divide the input channels, but its input "
                    + input + " has " + input.dim(2));
        }
        return Shape.of(o[0], o[1], config().filters());
    }

    @Override
    protected int[] kernelShape(Shape input) {
        List<Integer> k = config().kernelSize();
        return new int[] {k.get(0), k.get(1), input.dim(2) / config().groups(), config().filters()};
    }

    /**
     * The first layer of an image model (few input channels, no input gradient) is faster as im2col plus one GEMM
     * into planned buffers: measured on the Fashion-MNIST CNN's 5×5×1→32 layer, oneDNN took 10.6 ms forward and
     * 35 ms backward per batch of 128, against a few ms this way. A fixed rule, not a timing race, so runs stay
     * bit-reproducible.
     */
    static boolean useGemmPath(BuildContext ctx, int kernelVolume) {
        return ctx.inputGrad() == null && kernelVolume <= 64;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        ConvWindow w = window();
        Shape in = ctx.inputShape();
        if (DnnlConv.applies(ctx)) {
            Config c = config();
            return new DnnlConv(ctx, w, c.groups(), c.activation(), c.useBias(), c.kernelRegularizer(), c.biasRegularizer());
        }
        // Portable path (float64, or no oneDNN natives): libnd4j's oneDNN convolution rejects dilated windows ("could not create a descriptor for a dilated
        // convolution"), so those run as im2col + GEMM, with the input gradient scattered back (col2im).
        boolean dilated = w.d()[0] > 1 || w.d()[1] > 1;
        if (config().groups() == 1 && (dilated || useGemmPath(ctx, w.k()[0] * w.k()[1] * in.dim(2)))) {
            return compileGemm(ctx, w);
        }
        long[] iArgs = w.nativeArgs(in, ctx.outputShape());
        long[] denseShape = {w.k()[0], w.k()[1], in.dim(2), config().filters()};
        if (config().groups() == 1) {
            return NativeConv.compile(ctx, "conv2d", iArgs, denseShape, config().activation(),
                    config().useBias(), config().kernelRegularizer(), config().biasRegularizer());
        }
        int size = w.k()[0] * w.k()[1] * in.dim(2) * config().filters();
        // Scratch is sized per sample: ask for enough rows' worth to hold one dense kernel.
        int perRow = (size + ctx.maxBatch() - 1) / ctx.maxBatch();
        return NativeConv.compile(ctx, "conv2d", iArgs, denseShape, config().activation(), config().useBias(), config().kernelRegularizer(),
                config().biasRegularizer(), new BlockDiagonal(ctx.param("kernel"), ctx.grad("kernel"), ctx.scratch(perRow), ctx.scratch(perRow),
                        w.k()[0] * w.k()[1], in.dim(2), config().filters(), config().groups()));
    }

    /**
     * The grouped kernel {@code [kh, kw, C/G, F]} laid into a dense {@code [kh, kw, C, F]} one with zeros outside each
     * group's block, and the dense gradient read back from those blocks: filter f sees only channels of group
     * {@code f / (F/G)}.
     */
    static final class BlockDiagonal implements NativeConv.KernelExpansion {
        private final Buf w;
        private final Buf dw;
        private final Buf dense;
        private final Buf denseGrad;
        private final int taps;
        private final int c;
        private final int f;
        private final int groups;
        private final double[] small;
        private final double[] big;

        BlockDiagonal(Buf w, Buf dw, Buf dense, Buf denseGrad, int taps, int c, int f, int groups) {
            this.w = w;
            this.dw = dw;
            this.dense = dense;
            this.denseGrad = denseGrad;
            this.taps = taps;
            this.c = c;
            this.f = f;
            this.groups = groups;
            this.small = new double[taps * (c / groups) * f];
            this.big = new double[taps * c * f];
        }

        @Override
        public Buf kernel() {
            return dense;
        }

        @Override
        public Buf kernelGrad() {
            return denseGrad;
        }

        @Override
        public void expand() {
            int cg = c / groups;
            int fg = f / groups;
            w.get(0, small, 0, small.length);
            Arrays.fill(big, 0);
            for (int t = 0; t < taps; t++) {
                for (int j = 0; j < cg; j++) {
                    for (int o = 0; o < f; o++) {
                        big[(t * c + (o / fg) * cg + j) * f + o] = small[(t * cg + j) * f + o];
                    }
                }
            }
            dense.put(0, big, 0, big.length);
        }

        @Override
        public void contract() {
            int cg = c / groups;
            int fg = f / groups;
            denseGrad.get(0, big, 0, big.length);
            for (int t = 0; t < taps; t++) {
                for (int j = 0; j < cg; j++) {
                    for (int o = 0; o < f; o++) {
                        small[(t * cg + j) * f + o] = big[(t * c + (o / fg) * cg + j) * f + o];
                    }
                }
            }
            dw.put(0, small, 0, small.length);
        }
    }

    private Kernel compileGemm(BuildContext ctx, ConvWindow window) {
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int pixels = out.dim(0) * out.dim(1);
        int kv = window.k()[0] * window.k()[1] * in.dim(2);
        Buf x = ctx.input();
        Buf cols = ctx.scratch(pixels * kv);
        Buf dx = ctx.inputGrad();
        Buf colsGrad = dx == null ? null : ctx.scratch(pixels * kv);
        Config c = config();
        Affine affine = new Affine(ctx, cols, colsGrad, kv, pixels, c.activation(), c.useBias(), c.kernelRegularizer(), c.biasRegularizer());
        int inSize = in.size();
        Im2col im2col = Im2col.of(in, out, window);
        boolean f32 = x instanceof Buf.F32;
        // Built on the heap (tight, bounds-check-free loops), then copied to the native GEMM operand in bulk.
        float[] xf = f32 ? new float[ctx.maxBatch() * inSize] : null;
        float[] colsF = f32 ? new float[ctx.maxBatch() * pixels * kv] : null;
        double[] xd = f32 ? null : new double[ctx.maxBatch() * inSize];
        double[] colsD = f32 ? null : new double[ctx.maxBatch() * pixels * kv];
        double[] dxD = dx == null ? null : new double[ctx.maxBatch() * inSize];
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                int len = n * pixels * kv;
                if (f32) {
                    x.get(0, xf, 0, n * inSize);
                    im2col.run(xf, colsF, n);
                    cols.put(0, colsF, 0, len);
                } else {
                    x.get(0, xd, 0, n * inSize);
                    im2col.run(xd, colsD, n);
                    cols.put(0, colsD, 0, len);
                }
                affine.forward(n, training, step);
            }

            @Override
            public void backward(int n) {
                affine.backward(n);
                if (dx != null) {
                    int len = n * pixels * kv;
                    if (f32) {
                        colsGrad.get(0, colsF, 0, len);
                        im2col.scatter(colsF, dxD, n);
                    } else {
                        colsGrad.get(0, colsD, 0, len);
                        im2col.scatter(colsD, dxD, n);
                    }
                    dx.put(0, dxD, 0, n * inSize);
                }
            }

            @Override
            public double penalty() {
                return affine.penalty();
            }
        };
    }

    /**
     * cols[(b, oy, ox), (i, j, ch)] = x[b, oy*s + i*d - p, ox*s + j*d - p, ch], zero outside the image: a gather
     * through one source index per column entry (−1 for padding), computed once. Float32 training takes the first
     * loop, float64 gradient checks the second.
     */
    private record Im2col(int inSize, int[] source) {
        static Im2col of(Shape in, Shape out, ConvWindow w) {
            int ih = in.dim(0);
            int iw = in.dim(1);
            int c = in.dim(2);
            int oh = out.dim(0);
            int ow = out.dim(1);
            int[] k = w.k();
            int[] s = w.s();
            int[] d = w.d();
            int ph = w.padTop(in, out);
            int pw = w.padLeft(in, out);
            int[] source = new int[oh * ow * k[0] * k[1] * c];
            int col = 0;
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    for (int i = 0; i < k[0]; i++) {
                        int yy = oy * s[0] + i * d[0] - ph;
                        for (int j = 0; j < k[1]; j++) {
                            int xx = ox * s[1] + j * d[1] - pw;
                            boolean inside = yy >= 0 && yy < ih && xx >= 0 && xx < iw;
                            for (int ch = 0; ch < c; ch++) {
                                source[col++] = inside ? (yy * iw + xx) * c + ch : -1;
                            }
                        }
                    }
                }
            }
            return new Im2col(ih * iw * c, source);
        }

        void run(float[] x, float[] cols, int n) {
            for (int b = 0, cb = 0; b < n; b++, cb += source.length) {
                for (int i = 0; i < source.length; i++) {
                    cols[cb + i] = source[i] < 0 ? 0f : x[b * inSize + source[i]];
                }
            }
        }

        /** col2im: the gradient of every column entry summed into the input pixel it was gathered from. */
        void scatter(float[] cols, double[] dx, int n) {
            java.util.Arrays.fill(dx, 0, n * inSize, 0);
            for (int b = 0, cb = 0; b < n; b++, cb += source.length) {
                for (int i = 0; i < source.length; i++) {
                    if (source[i] >= 0) {
                        dx[b * inSize + source[i]] += cols[cb + i];
                    }
                }
            }
        }

        void scatter(double[] cols, double[] dx, int n) {
            java.util.Arrays.fill(dx, 0, n * inSize, 0);
            for (int b = 0, cb = 0; b < n; b++, cb += source.length) {
                for (int i = 0; i < source.length; i++) {
                    if (source[i] >= 0) {
                        dx[b * inSize + source[i]] += cols[cb + i];
                    }
                }
            }
        }

        void run(double[] x, double[] cols, int n) {
            for (int b = 0, cb = 0; b < n; b++, cb += source.length) {
                for (int i = 0; i < source.length; i++) {
                    cols[cb + i] = source[i] < 0 ? 0 : x[b * inSize + source[i]];
                }
            }
        }
    }
}
