package dlkit.layers.core;

import dlkit.DlkitException;
import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.MaskRule;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Maps integer token ids (stored as numbers in the input) to learned vectors: input {@code [steps]}, output
 * {@code [steps, output_dim]}; weights {@code embeddings [input_dim, output_dim]} as in Keras. An id outside
 * {@code [0, input_dim)} or not a whole number stops the step with an error naming the layer, sample and position.
 */
public final class Embedding extends AbstractLayer<Embedding.Config, Embedding.Builder, Embedding> {
    public record Config(
            @Nullable String name,
            int inputDim,
            int outputDim,
            @NonNull Initializer embeddingsInitializer,
            @Nullable Regularizer embeddingsRegularizer,
            boolean maskZero) implements LayerConfig {
        public Config {
            if (inputDim <= 0 || outputDim <= 0) {
                throw new IllegalArgumentException("input_dim and output_dim: expected positive integers, got " + inputDim + " and " + outputDim);
            }
            Objects.requireNonNull(embeddingsInitializer, "embeddings_initializer");
        }
    }

    /** Keras defaults: uniform(-0.05, 0.05) initial vectors, no regularizer, no mask. */
    public static final class Builder extends ConfigBuilder<Config> {
        public int inputDim = 1;
        public int outputDim = 1;
        public Initializer embeddingsInitializer = Initializer.UNIFORM;
        public @Nullable Regularizer embeddingsRegularizer;
        public boolean maskZero;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Embedding> TYPE = new LayerType<>("Embedding", Builder::new, Set.of("input_dim", "output_dim"), Embedding::new);

    public Embedding(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Embedding of(int inputDim, int outputDim) {
        return TYPE.with(b -> {
            b.inputDim = inputDim;
            b.outputDim = outputDim;
        });
    }

    public @NonNull Embedding embeddingsRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.embeddingsRegularizer = reg);
    }

    /** Index 0 is padding: the mask it starts makes recurrent layers skip those steps (input_dim counts index 0). */
    public @NonNull Embedding maskZero(boolean v) {
        return change(b -> b.maskZero = v);
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 1) {
            throw new ShapeException("Embedding '" + name() + "' expects samples shaped [steps] (token ids), got " + input);
        }
        return Shape.of(input.dim(0), config().outputDim());
    }

    @Override
    public MaskRule maskRule() {
        return config().maskZero() ? MaskRule.MAKE : MaskRule.DROP;
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        return List.of(new ParamSpec("embeddings", new int[] {config().inputDim(), config().outputDim()}, config().embeddingsInitializer(),
                config().embeddingsRegularizer()));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int steps = ctx.inputShape().dim(0);
        int d = config().outputDim();
        int vocab = config().inputDim();
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        Buf e = ctx.param("embeddings");
        Buf de = ctx.grad("embeddings");
        WeightPenalty penalty = WeightPenalty.of(ctx, config().embeddingsRegularizer(), e, de, null, null, null);
        int[] ids = new int[ctx.maxBatch() * steps];
        String layer = ctx.layerName();
        @Nullable Buf mask = ctx.outputMask();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (int i = 0; i < n * steps; i++) {
                    double v = x.get(i);
                    int id = (int) v;
                    if (id != v || id < 0 || id >= vocab) {
                        throw new DlkitException("Embedding '" + layer + "': token id " + v + " at sample " + (i / steps) + " of the batch, step "
                                + (i % steps) + " is outside [0, " + vocab + ") (input_dim " + vocab + ")");
                    }
                    ids[i] = id;
                    y.copyFrom(e, id * d, i * d, d);
                    if (mask != null) {
                        mask.set(i, id != 0 ? 1 : 0);
                    }
                }
            }

            @Override
            public void backward(int n) {
                de.fill(0, vocab * d);
                for (int i = 0; i < n * steps; i++) {
                    int row = ids[i] * d;
                    for (int k = 0; k < d; k++) {
                        de.add(row + k, dy.get(i * d + k));
                    }
                }
                penalty.addGradients();
            }

            @Override
            public double penalty() {
                return penalty.value();
            }
        };
    }
}
