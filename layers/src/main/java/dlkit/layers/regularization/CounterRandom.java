package dlkit.layers.regularization;

import dlkit.layers.BuildContext;
import org.jspecify.annotations.Nullable;

/**
 * The random numbers of Dropout and GaussianNoise: a pure function of (seed, step, element), so runs are reproducible
 * and a resumed run draws what an uninterrupted one would, with no generator state to save.
 */
final class CounterRandom {
    private CounterRandom() {}

    /** SplitMix64's finaliser: a counter-based generator that needs no state to resume. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The layer's own {@code seed} when its config sets one, else the one the model derives for it. */
    static long seed(@Nullable Long configured, BuildContext ctx) {
        return configured != null ? configured : ctx.seed();
    }

    /** The stream for one step: {@code salt} keeps the layer kinds' streams apart. */
    static long stepBase(long seed, long step, long salt) {
        return mix(seed ^ mix(step + salt));
    }

    /** A uniform draw in [0, 1) for element {@code i} of the stream. */
    static double uniform(long base, long i) {
        return (mix(base + i) >>> 11) * 0x1.0p-53;
    }
}
