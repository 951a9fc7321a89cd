package dlkit.layers;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
public final class Bidirectional implements Layer {
    public record Config(@Nullable String name, @NonNull ObjectNode layer, @NonNull String mergeMode) {
        public Config {
            Objects.requireNonNull(layer, "layer");
            if (layer != RequiredLayer.PLACEHOLDER) {
                Layer inner = LayerRegistry.fromJson(layer, "layer");
                if (!(inner instanceof SimpleRNN || inner instanceof LSTM || inner instanceof GRU)) {
                    throw new IllegalArgumentException("layer: Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), got " + inner.type());
                }
                layer = LayerRegistry.toJson(inner);
            }
            if (!List.of("concat", "sum", "mul", "ave").contains(mergeMode)) {
                throw new IllegalArgumentException("merge_mode: expected \"concat\", \"sum\", \"mul\" or \"ave\", got \"" + mergeMode + "\"");
            }
        }
    }

    // "layer" is required: the default is a placeholder that must not touch the registry (it may be initialising this).
    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Bidirectional", Config.class, new Config(null, RequiredLayer.PLACEHOLDER, "concat"), Set.of("layer"), Bidirectional::new);

    private final Config config;
    private final Layer forwardLayer;
    private final Layer backwardLayer;

    public Bidirectional(@NonNull Config config) {
        this.config = config;
        this.forwardLayer = LayerRegistry.fromJson(config.layer(), "layer");
        ObjectNode flipped = config.layer().deepCopy();
        flipped.put("go_backwards", !config.layer().path("go_backwards").asBoolean(false));
        this.backwardLayer = LayerRegistry.fromJson(flipped, "layer");
    }

    /** Keras' default merge: the two outputs concatenated. */
    public static @NonNull Bidirectional of(@NonNull Layer recurrent) {
        return new Bidirectional(new Config(null, LayerRegistry.toJson(recurrent), "concat"));
    }

    public @NonNull Bidirectional mergeMode(@NonNull String mode) {
        return new Bidirectional(new Config(config.name(), config.layer(), mode));
    }

    @Override
    public Bidirectional named(String name) {
        return new Bidirectional(new Config(name, config.layer(), config.mergeMode()));
    }

    @Override
    public String type() {
        return "Bidirectional";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public MaskRule maskRule() {
        return forwardLayer.maskRule();
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        Shape one = forwardLayer.outputShape(input);
        if (!config.mergeMode().equals("concat")) {
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
        String mode = config.mergeMode();
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
                                case "concat" -> {
                                    o[base + j] = f;
                                    o[base + width + j] = r;
                                }
                                case "sum" -> o[base + j] = f + r;
                                case "mul" -> o[base + j] = f * r;
                                default -> o[base + j] = (f + r) / 2;
                            }
                        }
                    }
                }
                y.put(0, o, 0, n * steps * outWidth);
            }

            @Override
            public void backward(int n) {
                dy.get(0, o, 0, n * steps * outWidth);
                if (mode.equals("mul")) {
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
                                case "concat" -> {
                                    df = o[base + j];
                                    db = o[base + width + j];
                                }
                                case "sum" -> {
                                    df = o[base + j];
                                    db = df;
                                }
                                case "mul" -> {
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
