package dlkit.layers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Applies one layer to every step of a sequence {@code [steps, ...]} with shared weights. Samples are stored
 * batch-major, so {@code n} sequences of {@code steps} items are {@code n · steps} items: the inner layer runs once
 * over them, on the same memory.
 */
public final class TimeDistributed implements Layer {
    public record Config(@Nullable String name, @NonNull ObjectNode layer) {
        public Config {
            Objects.requireNonNull(layer, "layer");
            if (layer != RequiredLayer.PLACEHOLDER) {
                layer = LayerRegistry.toJson(LayerRegistry.fromJson(layer, "layer"));
            }
        }
    }

    // "layer" is required, so the registry's default never reaches a model; it must not touch the registry either,
    // which may be initialising this very entry.
    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "TimeDistributed", Config.class, new Config(null, RequiredLayer.PLACEHOLDER), Set.of("layer"), TimeDistributed::new);

    private final Config config;
    private final Layer inner;

    public TimeDistributed(@NonNull Config config) {
        this.config = config;
        this.inner = LayerRegistry.fromJson(config.layer(), "layer");
    }

    public static @NonNull TimeDistributed of(@NonNull Layer layer) {
        return new TimeDistributed(new Config(null, LayerRegistry.toJson(layer)));
    }

    @Override
    public TimeDistributed named(String name) {
        return new TimeDistributed(new Config(name, config.layer()));
    }

    @Override
    public String type() {
        return "TimeDistributed";
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
