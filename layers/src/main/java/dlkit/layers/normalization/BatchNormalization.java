package dlkit.layers.normalization;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Batch normalisation over one feature axis (the last by default, channels-last as in Keras). In training the
 * batch's mean and (biased) variance normalise the input and update {@code moving_mean}/{@code moving_variance}
 * as {@code moving = moving * momentum + batch * (1 - momentum)}; at inference the moving statistics are used.
 * Weights: {@code gamma}, {@code beta} (trainable), {@code moving_mean}, {@code moving_variance} (saved, not trained).
 */
public final class BatchNormalization extends AbstractLayer<BatchNormalization.Config, BatchNormalization.Builder, BatchNormalization> {
    public record Config(
            @Nullable String name,
            int axis,
            double momentum,
            double epsilon,
            boolean center,
            boolean scale,
            @NonNull Initializer betaInitializer,
            @NonNull Initializer gammaInitializer,
            @NonNull Initializer movingMeanInitializer,
            @NonNull Initializer movingVarianceInitializer,
            @Nullable Regularizer betaRegularizer,
            @Nullable Regularizer gammaRegularizer) implements LayerConfig {
        public Config {
            if (!(momentum >= 0 && momentum <= 1)) {
                throw new IllegalArgumentException("momentum: expected a number in [0, 1], got " + momentum);
            }
            if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
                throw new IllegalArgumentException("epsilon: expected a small positive number, got " + epsilon);
            }
            Objects.requireNonNull(betaInitializer, "beta_initializer");
            Objects.requireNonNull(gammaInitializer, "gamma_initializer");
            Objects.requireNonNull(movingMeanInitializer, "moving_mean_initializer");
            Objects.requireNonNull(movingVarianceInitializer, "moving_variance_initializer");
        }
    }

    /** Keras defaults: last axis, momentum 0.99, epsilon 1e-3, with beta and gamma. */
    public static final class Builder extends ConfigBuilder<Config> {
        public int axis = -1;
        public double momentum = 0.99;
        public double epsilon = 1e-3;
        public boolean center = true;
        public boolean scale = true;
        public Initializer betaInitializer = Initializer.ZEROS;
        public Initializer gammaInitializer = Initializer.ONES;
        public Initializer movingMeanInitializer = Initializer.ZEROS;
        public Initializer movingVarianceInitializer = Initializer.ONES;
        public @Nullable Regularizer betaRegularizer;
        public @Nullable Regularizer gammaRegularizer;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, BatchNormalization> TYPE = new LayerType<>("BatchNormalization", Builder::new, Set.of(), BatchNormalization::new);

    public BatchNormalization(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull BatchNormalization of() {
        return new BatchNormalization(new Builder().build());
    }

    public @NonNull BatchNormalization axis(int axis) {
        return change(b -> b.axis = axis);
    }

    public @NonNull BatchNormalization momentum(double momentum) {
        return change(b -> b.momentum = momentum);
    }

    public @NonNull BatchNormalization epsilon(double epsilon) {
        return change(b -> b.epsilon = epsilon);
    }

    public @NonNull BatchNormalization center(boolean center) {
        return change(b -> b.center = center);
    }

    public @NonNull BatchNormalization scale(boolean scale) {
        return change(b -> b.scale = scale);
    }

    /** The feature axis within a sample's shape (Keras counts the batch axis as 0, so axis 1 is a sample's first). */
    private int sampleAxis(Shape input) {
        int rank = input.rank();
        int a = config().axis() < 0 ? config().axis() + rank + 1 : config().axis();
        if (a < 1 || a > rank) {
            throw new ShapeException("BatchNormalization '" + name() + "': axis " + config().axis() + " is out of range for input "
                    + input.withBatch() + " (the batch axis 0 cannot be normalised over)");
        }
        return a - 1;
    }

    @Override
    public Shape outputShape(Shape input) {
        sampleAxis(input);
        return input;
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        int[] c = {input.dim(sampleAxis(input))};
        List<ParamSpec> p = new ArrayList<>();
        if (config().scale()) {
            p.add(new ParamSpec("gamma", c, config().gammaInitializer(), config().gammaRegularizer()));
        }
        if (config().center()) {
            p.add(new ParamSpec("beta", c, config().betaInitializer(), config().betaRegularizer()));
        }
        p.add(new ParamSpec("moving_mean", c, config().movingMeanInitializer(), null, false));
        p.add(new ParamSpec("moving_variance", c, config().movingVarianceInitializer(), null, false));
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Shape in = ctx.inputShape();
        int axis = sampleAxis(in);
        int channels = in.dim(axis);
        int inner = in.size() / Math.max(1, product(in, 0, axis + 1));
        int outerPerSample = in.size() / (channels * inner);
        int size = in.size();
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        @Nullable Buf gamma = config().scale() ? ctx.param("gamma") : null;
        @Nullable Buf dgamma = config().scale() ? ctx.grad("gamma") : null;
        @Nullable Buf beta = config().center() ? ctx.param("beta") : null;
        @Nullable Buf dbeta = config().center() ? ctx.grad("beta") : null;
        Buf movingMean = ctx.param("moving_mean");
        Buf movingVar = ctx.param("moving_variance");
        WeightPenalty penalty = WeightPenalty.of(ctx, gamma != null ? config().gammaRegularizer() : null, gamma, dgamma,
                beta != null ? config().betaRegularizer() : null, beta, dbeta);
        double momentum = config().momentum();
        double eps = config().epsilon();
        // Frozen (Keras' trainable=False): inference-mode normalisation in training as well, as Keras 3 does.
        boolean frozen = ctx.frozen();
        if (inner == 1 && x instanceof Buf.F32) {
            return new ChannelsLastF32(ctx.maxBatch() * size, channels, size, x, y, dy, dx, gamma, dgamma, beta, dbeta,
                    movingMean, movingVar, momentum, eps, penalty, frozen);
        }
        // Heap working copies: the loops below run over plain arrays (vectorised by C2), in double for accuracy.
        double[] xhat = new double[ctx.maxBatch() * size];
        double[] g = new double[ctx.maxBatch() * size];
        double[] mean = new double[channels];
        double[] invStd = new double[channels];
        double[] gam = new double[channels];
        double[] bet = new double[channels];
        double[] s1 = new double[channels];
        double[] s2 = new double[channels];
        return new Kernel() {
            private boolean batchStatistics;

            @Override
            public void forward(int n, boolean training, long step) {
                int total = n * size;
                int outer = n * outerPerSample;
                x.get(0, xhat, 0, total);
                batchStatistics = training && !frozen;
                if (batchStatistics) {
                    java.util.Arrays.fill(s1, 0);
                    java.util.Arrays.fill(s2, 0);
                    channelSums(xhat, null, s1, outer, channels, inner);
                    double m = (double) outer * inner;
                    for (int c = 0; c < channels; c++) {
                        mean[c] = s1[c] / m;
                    }
                    centredSquares(xhat, mean, s2, outer, channels, inner);
                    for (int c = 0; c < channels; c++) {
                        double var = s2[c] / m;
                        invStd[c] = 1 / Math.sqrt(var + eps);
                        movingMean.set(c, movingMean.get(c) * momentum + mean[c] * (1 - momentum));
                        movingVar.set(c, movingVar.get(c) * momentum + var * (1 - momentum));
                    }
                } else {
                    for (int c = 0; c < channels; c++) {
                        mean[c] = movingMean.get(c);
                        invStd[c] = 1 / Math.sqrt(movingVar.get(c) + eps);
                    }
                }
                for (int c = 0; c < channels; c++) {
                    gam[c] = gamma != null ? gamma.get(c) : 1;
                    bet[c] = beta != null ? beta.get(c) : 0;
                }
                for (int o = 0, i = 0; o < outer; o++) {
                    for (int c = 0; c < channels; c++) {
                        double mu = mean[c];
                        double is = invStd[c];
                        for (int e = i + inner; i < e; i++) {
                            double h = (xhat[i] - mu) * is;
                            xhat[i] = h;
                            g[i] = gam[c] * h + bet[c];
                        }
                    }
                }
                y.put(0, g, 0, total);
            }

            @Override
            public void backward(int n) {
                int total = n * size;
                int outer = n * outerPerSample;
                dy.get(0, g, 0, total);
                java.util.Arrays.fill(s1, 0);
                java.util.Arrays.fill(s2, 0);
                channelSums(g, null, s1, outer, channels, inner);
                channelSums(g, xhat, s2, outer, channels, inner);
                if (dgamma != null) {
                    dgamma.put(0, s2, 0, channels);
                }
                if (dbeta != null) {
                    dbeta.put(0, s1, 0, channels);
                }
                penalty.addGradients();
                if (dx == null) {
                    return;
                }
                if (batchStatistics) {
                    // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), the batch statistics depending on x.
                    double m = (double) outer * inner;
                    for (int c = 0; c < channels; c++) {
                        s1[c] /= m;
                        s2[c] /= m;
                    }
                    for (int o = 0, i = 0; o < outer; o++) {
                        for (int c = 0; c < channels; c++) {
                            double k = gam[c] * invStd[c];
                            double a = s1[c];
                            double b = s2[c];
                            for (int e = i + inner; i < e; i++) {
                                g[i] = k * (g[i] - a - xhat[i] * b);
                            }
                        }
                    }
                } else {
                    for (int o = 0, i = 0; o < outer; o++) {
                        for (int c = 0; c < channels; c++) {
                            double k = gam[c] * invStd[c];
                            for (int e = i + inner; i < e; i++) {
                                g[i] *= k;
                            }
                        }
                    }
                }
                dx.put(0, g, 0, total);
            }

            @Override
            public double penalty() {
                return penalty.value();
            }
        };
    }

    /**
     * The common case, float32 with the features last, as fused passes over heap copies (C2 vectorises plain float
     * loops; element-wise access to native memory does not): about 5× faster than the general double kernel above.
     * Sums accumulate in double.
     */
    private static final class ChannelsLastF32 implements Kernel {
        private final int channels;
        private final int size;
        private final Buf x;
        private final Buf y;
        private final Buf dy;
        private final @Nullable Buf dx;
        private final @Nullable Buf gamma;
        private final @Nullable Buf dgamma;
        private final @Nullable Buf beta;
        private final @Nullable Buf dbeta;
        private final Buf movingMean;
        private final Buf movingVar;
        private final double momentum;
        private final double eps;
        private final WeightPenalty penalty;
        private final float[] xs;
        private final float[] gs;
        private final double[] mean;
        private final double[] invStd;
        private final double[] gam;
        private final double[] s1;
        private final double[] s2;
        private final float[] a;
        private final float[] b;
        private final float[] c0;
        private boolean batchStatistics;
        private final boolean frozen;

        ChannelsLastF32(int maxElements, int channels, int size, Buf x, Buf y, Buf dy, @Nullable Buf dx, @Nullable Buf gamma,
                        @Nullable Buf dgamma, @Nullable Buf beta, @Nullable Buf dbeta, Buf movingMean, Buf movingVar,
                        double momentum, double eps, WeightPenalty penalty, boolean frozen) {
            this.frozen = frozen;
            this.channels = channels;
            this.size = size;
            this.x = x;
            this.y = y;
            this.dy = dy;
            this.dx = dx;
            this.gamma = gamma;
            this.dgamma = dgamma;
            this.beta = beta;
            this.dbeta = dbeta;
            this.movingMean = movingMean;
            this.movingVar = movingVar;
            this.momentum = momentum;
            this.eps = eps;
            this.penalty = penalty;
            this.xs = new float[maxElements];
            this.gs = new float[maxElements];
            this.mean = new double[channels];
            this.invStd = new double[channels];
            this.gam = new double[channels];
            this.s1 = new double[channels];
            this.s2 = new double[channels];
            this.a = new float[channels];
            this.b = new float[channels];
            this.c0 = new float[channels];
        }

        @Override
        public void forward(int n, boolean training, long step) {
            int total = n * size;
            int rows = total / channels;
            int ch = channels;
            x.get(0, xs, 0, total);
            batchStatistics = training && !frozen;
            if (batchStatistics) {
                java.util.Arrays.fill(s1, 0);
                java.util.Arrays.fill(s2, 0);
                for (int r = 0, i = 0; r < rows; r++, i += ch) {
                    for (int c = 0; c < ch; c++) {
                        s1[c] += xs[i + c];
                    }
                }
                for (int c = 0; c < ch; c++) {
                    mean[c] = s1[c] / rows;
                }
                for (int r = 0, i = 0; r < rows; r++, i += ch) {
                    for (int c = 0; c < ch; c++) {
                        double d = xs[i + c] - mean[c];
                        s2[c] += d * d;
                    }
                }
                for (int c = 0; c < ch; c++) {
                    double var = s2[c] / rows;
                    invStd[c] = 1 / Math.sqrt(var + eps);
                    movingMean.set(c, movingMean.get(c) * momentum + mean[c] * (1 - momentum));
                    movingVar.set(c, movingVar.get(c) * momentum + var * (1 - momentum));
                }
            } else {
                for (int c = 0; c < ch; c++) {
                    mean[c] = movingMean.get(c);
                    invStd[c] = 1 / Math.sqrt(movingVar.get(c) + eps);
                }
            }
            // y = x · a + b with a = γ/σ and b = β − μ·a
            for (int c = 0; c < ch; c++) {
                gam[c] = gamma != null ? gamma.get(c) : 1;
                a[c] = (float) (gam[c] * invStd[c]);
                b[c] = (float) ((beta != null ? beta.get(c) : 0) - mean[c] * gam[c] * invStd[c]);
            }
            for (int r = 0, i = 0; r < rows; r++, i += ch) {
                for (int c = 0; c < ch; c++) {
                    gs[i + c] = xs[i + c] * a[c] + b[c];
                }
            }
            y.put(0, gs, 0, total);
        }

        @Override
        public void backward(int n) {
            int total = n * size;
            int rows = total / channels;
            int ch = channels;
            dy.get(0, gs, 0, total);
            java.util.Arrays.fill(s1, 0);
            java.util.Arrays.fill(s2, 0);
            for (int r = 0, i = 0; r < rows; r++, i += ch) {
                for (int c = 0; c < ch; c++) {
                    float g = gs[i + c];
                    s1[c] += g;
                    s2[c] += g * (xs[i + c] - mean[c]);
                }
            }
            for (int c = 0; c < ch; c++) {
                if (dgamma != null) {
                    dgamma.set(c, s2[c] * invStd[c]);
                }
                if (dbeta != null) {
                    dbeta.set(c, s1[c]);
                }
            }
            penalty.addGradients();
            if (dx == null) {
                return;
            }
            // dx = A·dy + B·x + C, from dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)) when the statistics are the batch's
            for (int c = 0; c < ch; c++) {
                double k = gam[c] * invStd[c];
                a[c] = (float) k;
                if (batchStatistics) {
                    double bc = -k * invStd[c] * invStd[c] * s2[c] / rows;
                    b[c] = (float) bc;
                    c0[c] = (float) (-k * s1[c] / rows - bc * mean[c]);
                } else {
                    b[c] = 0;
                    c0[c] = 0;
                }
            }
            for (int r = 0, i = 0; r < rows; r++, i += ch) {
                for (int c = 0; c < ch; c++) {
                    gs[i + c] = gs[i + c] * a[c] + xs[i + c] * b[c] + c0[c];
                }
            }
            dx.put(0, gs, 0, total);
        }

        @Override
        public double penalty() {
            return penalty.value();
        }
    }

    private static int product(Shape s, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= s.dim(i);
        }
        return p;
    }

    /** sums[c] += Σ a (or Σ a·b) over the elements of channel c in a [outer, channels, inner] layout. */
    private static void channelSums(double[] a, double @Nullable [] b, double[] sums, int outer, int channels, int inner) {
        if (inner == 1) {
            for (int o = 0, i = 0; o < outer; o++, i += channels) {
                for (int c = 0; c < channels; c++) {
                    sums[c] += b == null ? a[i + c] : a[i + c] * b[i + c];
                }
            }
            return;
        }
        for (int o = 0, i = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                double s = 0;
                for (int e = i + inner; i < e; i++) {
                    s += b == null ? a[i] : a[i] * b[i];
                }
                sums[c] += s;
            }
        }
    }

    private static void centredSquares(double[] a, double[] mean, double[] sums, int outer, int channels, int inner) {
        for (int o = 0, i = 0; o < outer; o++) {
            for (int c = 0; c < channels; c++) {
                double mu = mean[c];
                for (int e = i + inner; i < e; i++) {
                    double d = a[i] - mu;
                    sums[c] += d * d;
                }
            }
        }
    }
}
