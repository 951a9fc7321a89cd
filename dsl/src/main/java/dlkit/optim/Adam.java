package dlkit.optim;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * Keras' Adam: {@code m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; w −= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m/(√v + ε)}.
 * Defaults lr 0.001, β1 0.9, β2 0.999, ε 1e-7.
 */
public record Adam(double learningRate, @JsonProperty("beta_1") double beta1, @JsonProperty("beta_2") double beta2,
                   double epsilon, @NonNull Clipping clipping) implements Optimizer {
    public Adam {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkFraction("beta_1", beta1);
        Optimizer.checkFraction("beta_2", beta2);
        Optimizer.checkRate("epsilon", epsilon);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull Adam of(double learningRate) {
        return new Adam(learningRate, 0.9, 0.999, 1e-7, Clipping.NONE);
    }

    public static @NonNull Adam of() {
        return of(0.001);
    }

    public @NonNull Adam beta1(double v) {
        return new Adam(learningRate, v, beta2, epsilon, clipping);
    }

    public @NonNull Adam beta2(double v) {
        return new Adam(learningRate, beta1, v, epsilon, clipping);
    }

    public @NonNull Adam epsilon(double v) {
        return new Adam(learningRate, beta1, beta2, v, clipping);
    }

    @Override
    public String type() {
        return "adam";
    }

    @Override
    public Adam withClipping(Clipping c) {
        return new Adam(learningRate, beta1, beta2, epsilon, c);
    }

    @Override
    public Adam withLearningRate(double lr) {
        return new Adam(lr, beta1, beta2, epsilon, clipping);
    }

    @Override
    public IUpdater toNd4j() {
        return new org.nd4j.linalg.learning.config.Adam(learningRate, beta1, beta2, epsilon);
    }

    @Override
    public UpdateRule rule() {
        return adamRule(beta1, beta2, epsilon, 0);
    }

    /** Shared with AdamW, whose decoupled decay {@code w −= lr·wd·w} runs first, as in Keras. */
    static UpdateRule adamRule(double beta1, double beta2, double epsilon, double weightDecay) {
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float eps = (float) epsilon;
        return new UpdateRule() {
            @Override
            public int moments() {
                return 2;
            }

            @Override
            public void apply(float[] p, float[] g, float[][] s, int n, long t, float lr) {
                float[] s0 = s.length > 0 ? s[0] : null;
                float[] s1 = s.length > 1 ? s[1] : null;
                float alpha = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
                if (weightDecay != 0) {
                    float decay = (float) (1 - lr * weightDecay);
                    for (int i = 0; i < n; i++) {
                        p[i] *= decay;
                    }
                }
                for (int i = 0; i < n; i++) {
                    float gi = g[i];
                    float m = b1 * s0[i] + (1 - b1) * gi;
                    float v = b2 * s1[i] + (1 - b2) * gi * gi;
                    s0[i] = m;
                    s1[i] = v;
                    p[i] -= alpha * m / ((float) Math.sqrt(v) + eps);
                }
            }
        };
    }
}
