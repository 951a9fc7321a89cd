package dlkit.optim;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.learning.config.IUpdater;

/** Keras' Adamax: {@code m = β1·m + (1−β1)·g; u = max(β2·u, |g|); w −= lr/(1−β1ᵗ)·m/(u + ε)}. */
public record AdaMax(double learningRate, @JsonProperty("beta_1") double beta1, @JsonProperty("beta_2") double beta2,
                     double epsilon, @NonNull Clipping clipping) implements Optimizer {
    public AdaMax {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkFraction("beta_1", beta1);
        Optimizer.checkFraction("beta_2", beta2);
        Optimizer.checkRate("epsilon", epsilon);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull AdaMax of(double learningRate) {
        return new AdaMax(learningRate, 0.9, 0.999, 1e-7, Clipping.NONE);
    }

    public @NonNull AdaMax epsilon(double v) {
        return new AdaMax(learningRate, beta1, beta2, v, clipping);
    }

    @Override
    public String type() {
        return "adamax";
    }

    @Override
    public AdaMax withClipping(Clipping c) {
        return new AdaMax(learningRate, beta1, beta2, epsilon, c);
    }

    @Override
    public AdaMax withLearningRate(double lr) {
        return new AdaMax(lr, beta1, beta2, epsilon, clipping);
    }

    @Override
    public IUpdater toNd4j() {
        return new org.nd4j.linalg.learning.config.AdaMax(learningRate, beta1, beta2, epsilon);
    }

    @Override
    public UpdateRule rule() {
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
                float a = (float) (lr / (1 - Math.pow(beta1, t)));
                for (int i = 0; i < n; i++) {
                    float gi = g[i];
                    float m = b1 * s0[i] + (1 - b1) * gi;
                    float u = Math.max(b2 * s1[i], Math.abs(gi));
                    s0[i] = m;
                    s1[i] = u;
                    p[i] -= a * m / (u + eps);
                }
            }
        };
    }
}
