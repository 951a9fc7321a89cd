package dlkit.layers.core;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.MaskRule;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.Affine;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Fully connected layer: {@code y = activation(x · kernel + bias)} over the last axis, kernel shaped
 * {@code [input, units]} as in Keras; the GEMMs run in {@link Affine}, straight into planned buffers.
 */
public final class Dense extends AbstractLayer<Dense.Config, Dense.Builder, Dense> {
    public record Config(
            @Nullable String name,
            int units,
            @NonNull Activation activation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer biasInitializer,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer biasRegularizer) implements LayerConfig<Builder> {
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

        @Override
        public Builder toBuilder() {
            Builder b = new Builder();
            b.name = name;
            b.units = units;
            b.activation = activation;
            b.useBias = useBias;
            b.kernelInitializer = kernelInitializer;
            b.biasInitializer = biasInitializer;
            b.kernelRegularizer = kernelRegularizer;
            b.biasRegularizer = biasRegularizer;
            return b;
        }
    }

    /** Keras defaults: linear activation, bias on, Glorot-uniform kernel, zero bias. */
    public static final class Builder extends ConfigBuilder<Config> {
        public int units = 1;
        public Activation activation = Activation.LINEAR;
        public boolean useBias = true;
        public Initializer kernelInitializer = Initializer.GLOROT_UNIFORM;
        public Initializer biasInitializer = Initializer.ZEROS;
        public @Nullable Regularizer kernelRegularizer;
        public @Nullable Regularizer biasRegularizer;

        @Override
        public Config build() {
            return new Config(name, units, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer);
        }
    }

    public static final LayerType<Config, Dense> TYPE = new LayerType<>("Dense", Config.class, new Builder().build(), Set.of("units"), Dense::new);

    public Dense(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Dense of(int units) {
        Builder b = new Builder();
        b.units = units;
        return new Dense(b.build());
    }

    public @NonNull Dense activation(@NonNull Activation activation) {
        return change(b -> b.activation = activation);
    }

    public @NonNull Dense useBias(boolean useBias) {
        return change(b -> b.useBias = useBias);
    }

    public @NonNull Dense kernelInitializer(@NonNull Initializer init) {
        return change(b -> b.kernelInitializer = init);
    }

    public @NonNull Dense biasInitializer(@NonNull Initializer init) {
        return change(b -> b.biasInitializer = init);
    }

    public @NonNull Dense kernelRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.kernelRegularizer = reg);
    }

    public @NonNull Dense biasRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.biasRegularizer = reg);
    }

    @Override
    public MaskRule maskRule() {
        return MaskRule.PASS;
    }

    @Override
    public Activation outputActivation() {
        return config().activation();
    }

    @Override
    public Shape outputShape(Shape input) {
        int[] dims = input.dims();
        dims[dims.length - 1] = config().units();
        return Shape.of(dims);
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {input.last(), config().units()}, config().kernelInitializer(), config().kernelRegularizer()));
        if (config().useBias()) {
            p.add(new ParamSpec("bias", new int[] {config().units()}, config().biasInitializer(), config().biasRegularizer()));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int in = ctx.inputShape().last();
        if (in <= 0) {
            throw new ShapeException("Dense '" + ctx.layerName() + "' needs a non-empty last axis, got " + ctx.inputShape());
        }
        Config c = config();
        return new Affine(ctx, ctx.input(), ctx.inputGrad(), in, ctx.inputShape().size() / in, c.activation(), c.useBias(),
                c.kernelRegularizer(), c.biasRegularizer());
    }
}
