package dlkit.layers.recurrent;

import dlkit.ShapeException;
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
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Applies one layer to every step of a sequence {@code [steps, ...]} with shared weights. Samples are stored
 * batch-major, so {@code n} sequences of {@code steps} items are {@code n · steps} items: the inner layer runs once
 * over them, on the same memory.
 */
public final class TimeDistributed extends AbstractLayer<TimeDistributed.Config, TimeDistributed.Builder, TimeDistributed> {
    /** {@code layer}: applied to each step (null only in the registry's defaults: the key is required). */
    public record Config(@Nullable String name, @Nullable Layer layer) implements LayerConfig {
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public @Nullable Layer layer;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, TimeDistributed> TYPE = new LayerType<>("TimeDistributed", Builder::new, Set.of("layer"), TimeDistributed::new);

    private final Layer inner;

    public TimeDistributed(@NonNull Config config) {
        super(TYPE, config);
        if (config.layer() == null) {
            throw new IllegalArgumentException("layer: expected the layer to apply to every step");
        }
        this.inner = config.layer();
    }

    public static @NonNull TimeDistributed of(@NonNull Layer layer) {
        return TYPE.with(b -> b.layer = layer);
    }

    @Override
    public MaskRule maskRule() {
        return MaskRule.PASS;
    }

    private static Shape item(Shape input) {
        return Shape.of(Arrays.copyOfRange(input.dims(), 1, input.rank()));
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() < 2) {
            throw new ShapeException("TimeDistributed '" + name() + "' expects samples shaped [steps, ...], got " + input);
        }
        Shape out = inner.outputShape(item(input));
        int[] dims = new int[out.rank() + 1];
        dims[0] = input.dim(0);
        System.arraycopy(out.dims(), 0, dims, 1, out.rank());
        return Shape.of(dims);
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        return inner.params(item(input));
    }

    /** A Flatten or Reshape inside moves nothing: its output is its input's memory, so this layer's is too. */
    @Override
    public boolean aliasesInput() {
        return inner.aliasesInput();
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int steps = ctx.inputShape().dim(0);
        Kernel k = inner.compile(new SubContext(ctx, item(ctx.inputShape()), item(ctx.outputShape()), ctx.maxBatch() * steps, ctx.input(),
                ctx.inputGrad(), ctx.output(), ctx.outputGrad(), "", ctx.seed(), null));
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                k.forward(n * steps, training, step);
            }

            @Override
            public void backward(int n) {
                k.backward(n * steps);
            }

            @Override
            public double penalty() {
                return k.penalty();
            }
        };
    }
}
