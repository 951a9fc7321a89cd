package dlkit.layers.core;

import dlkit.ShapeException;
import dlkit.layers.KernelLayer;
import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.MaskRule;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.Affine;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Fully connected layer: {@code y = activation(x · kernel + bias)} over the last axis, kernel shaped
 * {@code [input, units]} as in Keras; the GEMMs run in {@link Affine}, straight into planned buffers.
 */
public final class Dense extends KernelLayer<Dense.Config, Dense.Builder, Dense> {
    public record Config(
            @Nullable String name,
            int units,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer biasRegularizer) implements KernelLayer.Settings, LayerConfig {
        public Config {
            if (units <= 0) {
                throw new IllegalArgumentException("units: expected a positive integer, got " + units);
            }
            check(activation, kernelInitializer, biasInitializer);
        }
    }

    public static final class Builder extends KernelLayer.Builder<Config> {
        public int units = 1;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Dense> TYPE = new LayerType<>("Dense", Builder::new, Set.of("units"), Dense::new);

    public Dense(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Dense of(int units) {
        return TYPE.with(b -> b.units = units);
    }

    @Override
    public MaskRule maskRule() {
        return MaskRule.PASS;
    }

    @Override
    public long forwardFlops(Shape input) {
        return 2L * input.size() * config().units();
    }

    @Override
    public Shape outputShape(Shape input) {
        int[] dims = input.dims();
        dims[dims.length - 1] = config().units();
        return Shape.of(dims);
    }

    @Override
    protected int[] kernelShape(Shape input) {
        return new int[] {input.last(), config().units()};
    }

    @Override
    protected int biasSize(Shape input) {
        return config().units();
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int in = ctx.inputShape().last();
        if (in <= 0) {
            throw new ShapeException("Dense '" + ctx.layerName() + "' needs a non-empty last axis, got " + ctx.inputShape());
        }
        Config c = config();
        if (DnnlDense.applies(ctx)) {
            return new DnnlDense(ctx, c);
        }
        return new Affine(ctx, ctx.input(), ctx.inputGrad(), in, ctx.inputShape().size() / in, c.activation(), c.useBias(),
                c.kernelRegularizer(), c.biasRegularizer());
    }
}
