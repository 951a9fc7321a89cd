package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * 2-D convolution over channels-last input {@code [height, width, channels]}, kernel {@code [kh, kw, in, filters]} as
 * in Keras. Runs libnd4j's {@code conv2d}/{@code conv2d_bp} ops (oneDNN in the shipped native build) on views of the
 * planned buffers; the activation runs as a dlkit kernel afterwards.
 */
public final class Conv2D implements Layer {
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
            @Nullable Regularizer biasRegularizer,
            int groups) {
        public Config {
            if (filters <= 0) {
                throw new IllegalArgumentException("filters: expected a positive integer, got " + filters);
            }
            if (groups < 1 || filters % groups != 0) {
                throw new IllegalArgumentException("groups: expected a positive divisor of filters (" + filters + "), got " + groups);
            }
            kernelSize = pair("kernel_size", kernelSize);
            strides = pair("strides", strides);
            dilationRate = pair("dilation_rate", dilationRate);
            if (!"channels_last".equals(dataFormat)) {
                throw new IllegalArgumentException("data_format: only \"channels_last\" is supported, got \"" + dataFormat + "\"");
            }
            if ((strides[0] > 1 || strides[1] > 1) && (dilationRate[0] > 1 || dilationRate[1] > 1)) {
                throw new IllegalArgumentException("strides > 1 together with dilation_rate > 1 is not supported (as in Keras)");
            }
            Objects.requireNonNull(padding, "padding");
            Objects.requireNonNull(activation, "activation");
        }

        /** One group: what the 1-D, depthwise and transposed convolutions build on. */
        public Config(@Nullable String name, int filters, int @NonNull [] kernelSize, int @NonNull [] strides, @NonNull Padding padding,
                      @NonNull String dataFormat, int @NonNull [] dilationRate, @NonNull Activation activation, boolean useBias,
                      @NonNull Initializer kernelInitializer, @NonNull Initializer biasInitializer,
                      @Nullable Regularizer kernelRegularizer, @Nullable Regularizer biasRegularizer) {
            this(name, filters, kernelSize, strides, padding, dataFormat, dilationRate, activation, useBias, kernelInitializer,
                    biasInitializer, kernelRegularizer, biasRegularizer, 1);
        }

        static int[] pair(String key, int[] v) {
            if (v == null || (v.length != 1 && v.length != 2)) {
                throw new IllegalArgumentException(key + ": expected one or two positive integers, got " + Arrays.toString(v));
            }
            int[] p = v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
            if (p[0] < 1 || p[1] < 1) {
                throw new IllegalArgumentException(key + ": expected positive integers, got " + Arrays.toString(v));
            }
            return p;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && Objects.equals(name, c.name) && filters == c.filters && Arrays.equals(kernelSize, c.kernelSize)
                    && Arrays.equals(strides, c.strides) && padding == c.padding && dataFormat.equals(c.dataFormat)
                    && Arrays.equals(dilationRate, c.dilationRate) && activation == c.activation && useBias == c.useBias
                    && kernelInitializer.equals(c.kernelInitializer) && biasInitializer.equals(c.biasInitializer)
                    && Objects.equals(kernelRegularizer, c.kernelRegularizer) && Objects.equals(biasRegularizer, c.biasRegularizer)
                    && groups == c.groups;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, filters, Arrays.hashCode(kernelSize), Arrays.hashCode(strides), padding, activation);
        }

        @Override
        public String toString() {
            return "Conv2D.Config[name=" + name + ", filters=" + filters + ", kernel_size=" + Arrays.toString(kernelSize)
                    + ", strides=" + Arrays.toString(strides) + ", padding=" + padding + (groups > 1 ? ", groups=" + groups : "") + "]";
        }

        Config with(@Nullable String name, int[] strides, Padding padding, int[] dilation, Activation activation, boolean useBias,
                    Initializer ki, Initializer bi, @Nullable Regularizer kr, @Nullable Regularizer br) {
            return new Config(name, filters, kernelSize, strides, padding, dataFormat, dilation, activation, useBias, ki, bi, kr, br, groups);
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Conv2D", Config.class, defaults(1, new int[] {1, 1}), Set.of("filters", "kernel_size"), Conv2D::new);

    private final Config config;

    public Conv2D(@NonNull Config config) {
        this.config = config;
    }

    /** Keras defaults: strides 1, valid padding, no dilation, linear activation, bias, Glorot-uniform kernel. */
    public static @NonNull Conv2D of(int filters, int kernelSize) {
        return new Conv2D(defaults(filters, new int[] {kernelSize, kernelSize}));
    }

    public static @NonNull Conv2D of(int filters, int kernelHeight, int kernelWidth) {
        return new Conv2D(defaults(filters, new int[] {kernelHeight, kernelWidth}));
    }

    private static Config defaults(int filters, int[] kernel) {
        return new Config(null, filters, kernel, new int[] {1, 1}, Padding.VALID, "channels_last", new int[] {1, 1},
                Activation.LINEAR, true, Initializer.GLOROT_UNIFORM, Initializer.ZEROS, null, null);
    }

    public @NonNull Conv2D strides(int sh, int sw) {
        Config c = config;
        return new Conv2D(c.with(c.name(), new int[] {sh, sw}, c.padding(), c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Conv2D padding(@NonNull Padding padding) {
        Config c = config;
        return new Conv2D(c.with(c.name(), c.strides(), padding, c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Conv2D dilation(int dh, int dw) {
        Config c = config;
        return new Conv2D(c.with(c.name(), c.strides(), c.padding(), new int[] {dh, dw}, c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    /**
     * Splits the input channels and the filters into {@code groups} independent convolutions (Keras' {@code groups};
     * both counts must divide by it). Runs as one dense convolution with block-diagonal weights: exact, at
     * {@code groups} times the arithmetic of a native grouped kernel, which libnd4j does not have.
     */
    public @NonNull Conv2D groups(int groups) {
        Config c = config;
        return new Conv2D(new Config(c.name(), c.filters(), c.kernelSize(), c.strides(), c.padding(), c.dataFormat(), c.dilationRate(),
                c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer(), groups));
    }

    public @NonNull Conv2D activation(@NonNull Activation activation) {
        Config c = config;
        return new Conv2D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), activation, c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Conv2D useBias(boolean useBias) {
        Config c = config;
        return new Conv2D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), c.activation(), useBias, c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Conv2D kernelInitializer(@NonNull Initializer init) {
        Config c = config;
        return new Conv2D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), c.activation(), c.useBias(), init, c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Conv2D kernelRegularizer(@Nullable Regularizer reg) {
        Config c = config;
        return new Conv2D(c.with(c.name(), c.strides(), c.padding(), c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), reg, c.biasRegularizer()));
    }

    @Override
    public Conv2D named(String name) {
        Config c = config;
        return new Conv2D(c.with(name, c.strides(), c.padding(), c.dilationRate(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    @Override
    public String type() {
        return "Conv2D";
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
            throw new ShapeException("Conv2D '" + name() + "' expects samples shaped [height, width, channels], got " + input
                    + (input.rank() == 2 ? "; add a channel axis with Reshape" : ""));
        }
        int[] k = config.kernelSize();
        int[] s = config.strides();
        int[] d = config.dilationRate();
        int oh = config.padding().outputLength(input.dim(0), k[0], s[0], d[0]);
        int ow = config.padding().outputLength(input.dim(1), k[1], s[1], d[1]);
        if (oh < 1 || ow < 1) {
            throw new ShapeException("Conv2D '" + name() + "': kernel_size " + Arrays.toString(k) + " (dilation " + Arrays.toString(d)
                    + ") is larger than its input " + input + " with padding \"valid\"");
        }
        if (input.dim(2) % config.groups() != 0) {
            throw new ShapeException("Conv2D '" + name() + "': groups " + config.groups() + " must divide the input channels, but its input "
                    + input + " has " + input.dim(2));
        }
        return Shape.of(oh, ow, config.filters());
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        int[] k = config.kernelSize();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {k[0], k[1], input.dim(2) / config.groups(), config.filters()}, config.kernelInitializer(), config.kernelRegularizer()));
        if (config.useBias()) {
            p.add(new ParamSpec("bias", new int[] {config.filters()}, config.biasInitializer(), config.biasRegularizer()));
        }
        return p;
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
        int[] ks = config.kernelSize();
        if (config.groups() == 1 && useGemmPath(ctx, ks[0] * ks[1] * ctx.inputShape().dim(2))) {
            return compileGemm(ctx);
        }
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int[] k = config.kernelSize();
        int[] s = config.strides();
        int[] d = config.dilationRate();
        int ph = config.padding().padBefore(in.dim(0), out.dim(0), k[0], s[0], d[0]);
        int pw = config.padding().padBefore(in.dim(1), out.dim(1), k[1], s[1], d[1]);
        long[] iArgs = NativeConv.iArgs(k, s, d, ph, pw, config.padding());
        long[] denseShape = {k[0], k[1], in.dim(2), config.filters()};
        if (config.groups() == 1) {
            return NativeConv.compile(ctx, "conv2d", iArgs, denseShape, config.activation(),
                    config.useBias(), config.kernelRegularizer(), config.biasRegularizer());
        }
        int size = k[0] * k[1] * in.dim(2) * config.filters();
        // Scratch is sized per sample: ask for enough rows' worth to hold one dense kernel.
        int perRow = (size + ctx.maxBatch() - 1) / ctx.maxBatch();
        return NativeConv.compile(ctx, "conv2d", iArgs, denseShape, config.activation(), config.useBias(), config.kernelRegularizer(),
                config.biasRegularizer(), new BlockDiagonal(ctx.param("kernel"), ctx.grad("kernel"), ctx.scratch(perRow), ctx.scratch(perRow),
                        k[0] * k[1], in.dim(2), config.filters(), config.groups()));
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

    private Kernel compileGemm(BuildContext ctx) {
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int[] k = config.kernelSize();
        int[] s = config.strides();
        int[] d = config.dilationRate();
        int ih = in.dim(0);
        int iw = in.dim(1);
        int c = in.dim(2);
        int oh = out.dim(0);
        int ow = out.dim(1);
        int f = config.filters();
        int kv = k[0] * k[1] * c;
        int ph = config.padding().padBefore(ih, oh, k[0], s[0], d[0]);
        int pw = config.padding().padBefore(iw, ow, k[1], s[1], d[1]);
        Activation act = config.activation();
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        Buf z = act.backwardNeedsInput() ? ctx.scratch(out.size()) : y;
        Buf cols = ctx.scratch(oh * ow * kv);
        Buf ones = ctx.ones(ctx.maxBatch() * oh * ow);
        Buf w = ctx.param("kernel");
        Buf dw = ctx.grad("kernel");
        Buf b = config.useBias() ? ctx.param("bias") : null;
        Buf db = config.useBias() ? ctx.grad("bias") : null;
        boolean fused = ctx.lossFused();
        WeightPenalty penalty = WeightPenalty.of(ctx, config.kernelRegularizer(), w, dw, config.biasRegularizer(), b, db);
        int inSize = in.size();
        Im2col im2col = new Im2col(ih, iw, c, oh, ow, k, s, d, ph, pw);
        boolean f32 = x instanceof Buf.F32;
        // Built on the heap (tight, bounds-check-free loops), then copied to the native GEMM operand in bulk.
        float[] xf = f32 ? new float[ctx.maxBatch() * inSize] : null;
        float[] colsF = f32 ? new float[ctx.maxBatch() * oh * ow * kv] : null;
        double[] xd = f32 ? null : new double[ctx.maxBatch() * inSize];
        double[] colsD = f32 ? null : new double[ctx.maxBatch() * oh * ow * kv];
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                int len = n * oh * ow * kv;
                if (f32) {
                    x.get(0, xf, 0, n * inSize);
                    im2col.run(xf, colsF, n);
                    cols.put(0, colsF, 0, len);
                } else {
                    x.get(0, xd, 0, n * inSize);
                    im2col.run(xd, colsD, n);
                    cols.put(0, colsD, 0, len);
                }
                int rows = n * oh * ow;
                if (b != null) {
                    dlkit.tensor.Blas.gemm(false, false, rows, f, 1, 1, ones, 1, b, f, 0, z, f);
                    dlkit.tensor.Blas.gemm(false, false, rows, f, kv, 1, cols, kv, w, f, 1, z, f);
                } else {
                    dlkit.tensor.Blas.gemm(false, false, rows, f, kv, 1, cols, kv, w, f, 0, z, f);
                }
                if (act != Activation.LINEAR) {
                    act.forward(z, y, rows, f);
                }
            }

            @Override
            public void backward(int n) {
                int rows = n * oh * ow;
                if (!fused && act != Activation.LINEAR) {
                    act.backward(z, y, dy, dy, rows, f);
                }
                dlkit.tensor.Blas.gemm(true, false, kv, f, rows, 1, cols, kv, dy, f, 0, dw, f);
                if (db != null) {
                    dlkit.tensor.Blas.gemvT(rows, f, 1, dy, f, ones, 0, db);
                }
                penalty.addGradients();
            }

            @Override
            public double penalty() {
                return penalty.value();
            }
        };
    }

    /**
     * cols[(b, oy, ox), (i, j, ch)] = x[b, oy*s + i*d - p, ox*s + j*d - p, ch], zero outside the image. The float
     * and double versions are the same loop: float32 training takes the first, float64 gradient checks the second.
     */
    record Im2col(int ih, int iw, int c, int oh, int ow, int[] k, int[] s, int[] d, int ph, int pw) {
        void run(float[] x, float[] cols, int n) {
            int inSize = ih * iw * c;
            int col = 0;
            for (int bi = 0; bi < n; bi++) {
                int xb = bi * inSize;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        for (int i = 0; i < k[0]; i++) {
                            int yy = oy * s[0] + i * d[0] - ph;
                            for (int j = 0; j < k[1]; j++, col += c) {
                                int xx = ox * s[1] + j * d[1] - pw;
                                boolean inside = yy >= 0 && yy < ih && xx >= 0 && xx < iw;
                                if (c == 1) {
                                    cols[col] = inside ? x[xb + yy * iw + xx] : 0f;
                                } else if (inside) {
                                    System.arraycopy(x, xb + (yy * iw + xx) * c, cols, col, c);
                                } else {
                                    java.util.Arrays.fill(cols, col, col + c, 0f);
                                }
                            }
                        }
                    }
                }
            }
        }

        void run(double[] x, double[] cols, int n) {
            int inSize = ih * iw * c;
            int col = 0;
            for (int bi = 0; bi < n; bi++) {
                int xb = bi * inSize;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        for (int i = 0; i < k[0]; i++) {
                            int yy = oy * s[0] + i * d[0] - ph;
                            for (int j = 0; j < k[1]; j++, col += c) {
                                int xx = ox * s[1] + j * d[1] - pw;
                                boolean inside = yy >= 0 && yy < ih && xx >= 0 && xx < iw;
                                if (c == 1) {
                                    cols[col] = inside ? x[xb + yy * iw + xx] : 0.0;
                                } else if (inside) {
                                    System.arraycopy(x, xb + (yy * iw + xx) * c, cols, col, c);
                                } else {
                                    java.util.Arrays.fill(cols, col, col + c, 0.0);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    static long[] rows(int n, long[] perSample) {
        long[] s = new long[perSample.length + 1];
        s[0] = n;
        System.arraycopy(perSample, 0, s, 1, perSample.length);
        return s;
    }
}
