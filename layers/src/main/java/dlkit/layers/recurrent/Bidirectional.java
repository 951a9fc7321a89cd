package dlkit.layers.recurrent;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dlkit.config.Json;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.MaskRule;
import dlkit.layers.ParamSpec;
import dlkit.layers.internal.SubContext;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Runs a recurrent layer over the sequence forwards and a copy of it backwards, then merges the two outputs
 * ({@code merge_mode}: concat, sum, mul, ave). With {@code return_sequences} the backward outputs are put back in time
 * order first, as Keras does. Weights: {@code forward_*} and {@code backward_*} (e.g. {@code forward_kernel}).
 */
public final class Bidirectional extends AbstractLayer<Bidirectional.Config, Bidirectional.Builder, Bidirectional> {
    /** How the two directions' outputs combine. */
    public enum MergeMode {
        CONCAT,
        SUM,
        MUL,
        AVE;

        @JsonValue
        public @NonNull String jsonName() {
            return Json.enumName(this);
        }

        @JsonCreator
        public static @NonNull MergeMode fromJson(@NonNull String name) {
            return Json.enumValue(MergeMode.class, name, "merge_mode");
        }
    }

    /** {@code layer}: the recurrent layer run forwards (null only in the registry's defaults: the key is required). */
    public record Config(@Nullable String name, @Nullable Layer layer, @NonNull MergeMode mergeMode) implements LayerConfig {
        public Config {
            if (layer != null && !(layer instanceof RecurrentLayer<?, ?, ?>)) {
                throw new IllegalArgumentException("layer: Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), got " + layer.type());
            }
            Objects.requireNonNull(mergeMode, "merge_mode");
        }
    }

    /** Keras' default merge: the two outputs concatenated. */
    public static final class Builder extends ConfigBuilder<Config> {
        public @Nullable Layer layer;
        public MergeMode mergeMode = MergeMode.CONCAT;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Bidirectional> TYPE = new LayerType<>("Bidirectional", Builder::new, Set.of("layer"), Bidirectional::new);

    private final RecurrentLayer<?, ?, ?> forwardLayer;
    private final Layer backwardLayer;

    public Bidirectional(@NonNull Config config) {
        super(TYPE, config);
        if (config.layer() == null) {
            throw new IllegalArgumentException("layer: expected the recurrent layer to run in both directions");
        }
        this.forwardLayer = (RecurrentLayer<?, ?, ?>) config.layer();
        this.backwardLayer = forwardLayer.goBackwards(!forwardLayer.config().goBackwards());
    }

    public static @NonNull Bidirectional of(@NonNull Layer recurrent) {
        return TYPE.with(b -> b.layer = recurrent);
    }

    public @NonNull Bidirectional mergeMode(@NonNull MergeMode mode) {
        return change(b -> b.mergeMode = mode);
    }

    /** By Keras' name: "concat", "sum", "mul" or "ave". */
    public @NonNull Bidirectional mergeMode(@NonNull String mode) {
        try {
            return mergeMode(MergeMode.fromJson(mode));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("merge_mode: " + e.getMessage(), e);
        }
    }

    @Override
    public MaskRule maskRule() {
        return forwardLayer.maskRule();
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape one = forwardLayer.outputShape(input);
        if (config().mergeMode() != MergeMode.CONCAT) {
            return one;
        }
        int[] dims = one.dims();
        dims[dims.length - 1] *= 2;
        return Shape.of(dims);
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        List<ParamSpec> p = new ArrayList<>();
        for (String side : List.of("forward_", "backward_")) {
            for (ParamSpec s : forwardLayer.params(input)) {
                p.add(new ParamSpec(side + s.name(), s.shape(), s.initializer(), s.regularizer(), s.trainable()));
            }
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        Shape in = ctx.inputShape();
        Shape one = forwardLayer.outputShape(in);
        int mb = ctx.maxBatch();
        int width = one.last();
        int steps = one.rank() == 2 ? one.dim(0) : 1;
        int size = one.size();
        Buf yf = Buf.allocate(ctx.dtype(), mb * size);
        Buf yb = Buf.allocate(ctx.dtype(), mb * size);
        Buf gf = Buf.allocate(ctx.dtype(), mb * size);
        Buf gb = Buf.allocate(ctx.dtype(), mb * size);
        @Nullable Buf dx = ctx.inputGrad();
        @Nullable Buf dxb = dx != null ? Buf.allocate(ctx.dtype(), mb * in.size()) : null;
        Kernel fwd = forwardLayer.compile(new SubContext(ctx, in, one, mb, ctx.input(), dx, yf, gf, "forward_", ctx.seed(), ctx.inputMask()));
        Kernel bwd = backwardLayer.compile(new SubContext(ctx, in, one, mb, ctx.input(), dxb, yb, gb, "backward_", ctx.seed() ^ 0x5DEECE66DL, ctx.inputMask()));
        MergeMode mode = config().mergeMode();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        int outWidth = ctx.outputShape().last();
        double[] a = new double[mb * size];
        double[] b = new double[mb * size];
        double[] o = new double[mb * ctx.outputShape().size()];
        return new Kernel() {
            /** Index in the backward layer's output of the element at (sample, step, unit) in time order. */
            private int backwardIndex(int s, int t, int j) {
                return (s * steps + (steps - 1 - t)) * width + j;
            }

            @Override
            public void forward(int n, boolean training, long step) {
                fwd.forward(n, training, step);
                bwd.forward(n, training, step);
                yf.get(0, a, 0, n * size);
                yb.get(0, b, 0, n * size);
                for (int s = 0; s < n; s++) {
                    for (int t = 0; t < steps; t++) {
                        for (int j = 0; j < width; j++) {
                            double f = a[(s * steps + t) * width + j];
                            double r = b[backwardIndex(s, t, j)];
                            int base = (s * steps + t) * outWidth;
                            switch (mode) {
                                case CONCAT -> {
                                    o[base + j] = f;
                                    o[base + width + j] = r;
                                }
                                case SUM -> o[base + j] = f + r;
                                case MUL -> o[base + j] = f * r;
                                case AVE -> o[base + j] = (f + r) / 2;
                            }
                        }
                    }
                }
                y.put(0, o, 0, n * steps * outWidth);
            }

            @Override
            public void backward(int n) {
                dy.get(0, o, 0, n * steps * outWidth);
                if (mode == MergeMode.MUL) {
                    yf.get(0, a, 0, n * size);
                    yb.get(0, b, 0, n * size);
                }
                for (int s = 0; s < n; s++) {
                    for (int t = 0; t < steps; t++) {
                        for (int j = 0; j < width; j++) {
                            int base = (s * steps + t) * outWidth;
                            int fi = (s * steps + t) * width + j;
                            int bi = backwardIndex(s, t, j);
                            double df;
                            double db;
                            switch (mode) {
                                case CONCAT -> {
                                    df = o[base + j];
                                    db = o[base + width + j];
                                }
                                case SUM -> {
                                    df = o[base + j];
                                    db = df;
                                }
                                case MUL -> {
                                    df = o[base + j] * b[bi];
                                    db = o[base + j] * a[fi];
                                }
                                default -> {
                                    df = o[base + j] / 2;
                                    db = df;
                                }
                            }
                            a[fi] = df;
                            b[bi] = db;
                        }
                    }
                }
                gf.put(0, a, 0, n * size);
                gb.put(0, b, 0, n * size);
                fwd.backward(n);
                bwd.backward(n);
                if (dx != null) {
                    for (int i = 0, m = n * in.size(); i < m; i++) {
                        dx.add(i, dxb.get(i));
                    }
                }
            }

            @Override
            public double penalty() {
                return fwd.penalty() + bwd.penalty();
            }
        };
    }
}
