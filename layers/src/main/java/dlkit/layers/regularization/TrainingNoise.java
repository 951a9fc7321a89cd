package dlkit.layers.regularization;

import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.ElementwiseLayer;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Buf;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A layer that perturbs its input in training and passes it through at inference: {@link Dropout} (multiplicative
 * noise, so the gradient is scaled by the same mask) and {@link GaussianNoise} (additive, so it passes unchanged).
 * The noise is a pure function of (seed, step, element) — a counter-based generator — so runs are reproducible and
 * a resumed run draws what an uninterrupted one would, with no generator state to save.
 */
public abstract sealed class TrainingNoise<C extends Record & LayerConfig & TrainingNoise.Seeded, B extends TrainingNoise.Builder<C>,
        L extends Layer> extends ElementwiseLayer<C, B, L> permits Dropout, GaussianNoise {
    /** A config with an optional fixed seed (else the model derives one per layer). */
    public interface Seeded {
        @Nullable Long seed();
    }

    public abstract static class Builder<C extends Record & LayerConfig> extends ConfigBuilder<C> {
        public @Nullable Long seed;

        protected Builder(@NonNull Class<C> type) {
            super(type);
        }
    }

    private final long salt;
    private final boolean multiplicative;

    /** {@code salt} keeps the layer kinds' random streams apart. */
    TrainingNoise(LayerType<C, B, L> type, C config, long salt, boolean multiplicative) {
        super(type, config);
        this.salt = salt;
        this.multiplicative = multiplicative;
    }

    public final @NonNull L seed(@Nullable Long seed) {
        return change(b -> b.seed = seed);
    }

    /** Whether the config perturbs at all (a rate or deviation above zero). */
    abstract boolean perturbs();

    /**
     * Writes the {@code count} perturbed values of {@code x} to {@code y}, drawing from the step's stream with
     * {@link #uniform}; a multiplicative noise also stores each element's factor in {@code mask}.
     */
    abstract void perturb(long stream, int count, Buf x, Buf y, @Nullable Buf mask);

    @Override
    public final Kernel compile(BuildContext ctx) {
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int width = ctx.inputShape().size();
        @Nullable Buf mask = multiplicative ? ctx.scratch(width) : null;
        boolean perturbs = perturbs();
        Long configured = config().seed();
        long seed = configured != null ? configured : ctx.seed();
        return new Kernel() {
            private boolean perturbed;

            @Override
            public void forward(int n, boolean training, long step) {
                int count = n * width;
                perturbed = training && perturbs;
                if (!perturbed) {
                    y.copyFrom(x, 0, 0, count);
                    return;
                }
                perturb(mix(seed ^ mix(step + salt)), count, x, y, mask);
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                int count = n * width;
                if (!perturbed || mask == null) {
                    dx.copyFrom(dy, 0, 0, count);
                    return;
                }
                for (int i = 0; i < count; i++) {
                    dx.set(i, dy.get(i) * mask.get(i));
                }
            }
        };
    }

    /** A uniform draw in [0, 1) for element {@code i} of a step's stream. */
    static double uniform(long stream, long i) {
        return (mix(stream + i) >>> 11) * 0x1.0p-53;
    }

    /** SplitMix64's finaliser: a counter-based generator that needs no state to resume. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
