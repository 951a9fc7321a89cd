package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Blas;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Fully connected layer: {@code y = activation(x · kernel + bias)} over the last axis, kernel shaped
 * {@code [input, units]} as in Keras. Bias is added by a rank-1 GEMM and the weight gradients come from two more
 * GEMMs, all straight into planned buffers.
 */
public final class Dense implements Layer {
    public record Config(
            @Nullable String name,
            int units,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer biasRegularizer) {
        public Config {
            if (units <= 0) {
                throw new IllegalArgumentException("units: expected a positive integer, got " + units);
            }
            if (activation == null) {
                throw new IllegalArgumentException("activation: expected an activation name such as \"relu\", got null");
            }
            if (kernelInitializer == null || biasInitializer == null) {
                throw new IllegalArgumentException("initializers must not be null");
            }
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Dense", Config.class, defaults(1), Set.of("units"), Dense::new);

    private final Config config;

    public Dense(@NonNull Config config) {
        this.config = config;
    }

    /** Keras defaults: linear activation, bias on, Glorot-uniform kernel, zero bias. */
    public static @NonNull Dense of(int units) {
        return new Dense(defaults(units));
    }

    private static Config defaults(int units) {
        return new Config(null, units, Activation.LINEAR, true, Initializer.GLOROT_UNIFORM, Initializer.ZEROS, null, null);
    }

    public @NonNull Dense activation(@NonNull Activation activation) {
        Config c = config;
        return new Dense(new Config(c.name(), c.units(), activation, c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Dense useBias(boolean useBias) {
        Config c = config;
        return new Dense(new Config(c.name(), c.units(), c.activation(), useBias, c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Dense kernelInitializer(@NonNull Initializer init) {
        Config c = config;
        return new Dense(new Config(c.name(), c.units(), c.activation(), c.useBias(), init, c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Dense biasInitializer(@NonNull Initializer init) {
        Config c = config;
        return new Dense(new Config(c.name(), c.units(), c.activation(), c.useBias(), c.kernelInitializer(), init, c.kernelRegularizer(), c.biasRegularizer()));
    }

    public @NonNull Dense kernelRegularizer(@Nullable Regularizer reg) {
        Config c = config;
        return new Dense(new Config(c.name(), c.units(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), reg, c.biasRegularizer()));
    }

    public @NonNull Dense biasRegularizer(@Nullable Regularizer reg) {
        Config c = config;
        return new Dense(new Config(c.name(), c.units(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), reg));
    }

    @Override
    public Dense named(String name) {
        Config c = config;
        return new Dense(new Config(name, c.units(), c.activation(), c.useBias(), c.kernelInitializer(), c.biasInitializer(), c.kernelRegularizer(), c.biasRegularizer()));
    }

    @Override
    public String type() {
        return "Dense";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public MaskRule maskRule() {
        return MaskRule.PASS;
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
        int[] dims = input.dims();
        dims[dims.length - 1] = config.units();
        return Shape.of(dims);
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {input.last(), config.units()}, config.kernelInitializer(), config.kernelRegularizer()));
        if (config.useBias()) {
            p.add(new ParamSpec("bias", new int[] {config.units()}, config.biasInitializer(), config.biasRegularizer()));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        if (ctx.inputShape().last() <= 0) {
            throw new ShapeException("Dense '" + ctx.layerName() + "' needs a non-empty last axis, got " + ctx.inputShape());
        }
        return new Compiled(ctx);
    }

    private final class Compiled implements Kernel {
        private final int in;
        private final int units = config.units();
        private final int rowsPerSample;
        private final Buf x;
        private final @Nullable Buf dx;
        private final Buf z;
        private final Buf y;
        private final Buf dy;
        private final Buf w;
        private final Buf dw;
        private final @Nullable Buf b;
        private final @Nullable Buf db;
        private final Buf ones;
        private final Activation act = config.activation();
        private final boolean fused;
        private final WeightPenalty penalty;

        Compiled(BuildContext ctx) {
            int inDim = ctx.inputShape().last();
            this.rowsPerSample = ctx.inputShape().size() / inDim;
            this.x = ctx.input();
            this.dx = ctx.inputGrad();
            this.y = ctx.output();
            this.dy = ctx.outputGrad();
            this.z = act.backwardNeedsInput() ? ctx.scratch(ctx.outputShape().size()) : y;
            this.w = ctx.param("kernel");
            this.dw = ctx.grad("kernel");
            this.b = config.useBias() ? ctx.param("bias") : null;
            this.db = config.useBias() ? ctx.grad("bias") : null;
            this.ones = ctx.ones(ctx.maxBatch() * rowsPerSample);
            this.fused = ctx.lossFused();
            this.in = inDim;
            this.penalty = WeightPenalty.of(ctx, config.kernelRegularizer(), w, dw, config.biasRegularizer(), b, db);
        }

        @Override
        public void forward(int n, boolean training, long step) {
            int rows = n * rowsPerSample;
            int k = in;
            if (b != null) {
                Blas.gemm(false, false, rows, units, 1, 1, ones, 1, b, units, 0, z, units);
                Blas.gemm(false, false, rows, units, k, 1, x, k, w, units, 1, z, units);
            } else {
                Blas.gemm(false, false, rows, units, k, 1, x, k, w, units, 0, z, units);
            }
            if (act != Activation.LINEAR) {
                act.forward(z, y, rows, units);
            }
        }

        @Override
        public void backward(int n) {
            int rows = n * rowsPerSample;
            int k = in;
            if (!fused && act != Activation.LINEAR) {
                act.backward(z, y, dy, dy, rows, units); // dy now holds dL/dz
            }
            Blas.gemm(true, false, k, units, rows, 1, x, k, dy, units, 0, dw, units);
            if (db != null) {
                Blas.gemvT(rows, units, 1, dy, units, ones, 0, db);
            }
            if (dx != null) {
                Blas.gemm(false, true, rows, k, units, 1, dy, units, w, units, 0, dx, k);
            }
            penalty.addGradients();
        }

        @Override
        public double penalty() {
            return penalty.value();
        }
    }
}
