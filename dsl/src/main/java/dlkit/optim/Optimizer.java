package dlkit.optim;

import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * An optimizer configuration with Keras' names and defaults. {@link #rule()} is the update compiled for the flat
 * float32 parameter buffer: one fused, JIT-vectorised pass over all weights (measured 0.2 ms for 235k weights on
 * this class of machine against 2.5 ms for ND4J's Adam op), with moments that never decay into slow subnormal floats.
 * Where ND4J has an updater with the same rule, {@link #toNd4j()} returns it and the tests check both agree.
 */
public sealed interface Optimizer permits Sgd, Adam, AdamW, Nadam, RmsProp, AdaGrad, AdaDelta, AdaMax {
    /** The registry name in JSON ({@code "adam"}). */
    @NonNull String type();

    double learningRate();

    @NonNull Clipping clipping();

    @NonNull Optimizer withClipping(@NonNull Clipping clipping);

    @NonNull Optimizer withLearningRate(double learningRate);

    default @NonNull Optimizer clipnorm(double v) {
        Clipping c = clipping();
        return withClipping(new Clipping(v, c.clipvalue(), c.globalClipnorm()));
    }

    default @NonNull Optimizer clipvalue(double v) {
        Clipping c = clipping();
        return withClipping(new Clipping(c.clipnorm(), v, c.globalClipnorm()));
    }

    default @NonNull Optimizer globalClipnorm(double v) {
        Clipping c = clipping();
        return withClipping(new Clipping(c.clipnorm(), c.clipvalue(), v));
    }

    @NonNull UpdateRule rule();

    /** The equivalent ND4J updater, or null where ND4J's rule differs from Keras'. */
    default IUpdater toNd4j() {
        return null;
    }

    static void checkRate(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(key + ": expected a finite number >= 0, got " + v);
        }
    }

    static void checkFraction(String key, double v) {
        if (!(v >= 0 && v < 1)) {
            throw new IllegalArgumentException(key + ": expected a number in [0, 1), got " + v);
        }
    }
}
