package dlkit.optim;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.NonNull;

/**
 * Keras 3's Nadam (Dozat 2016) with its momentum schedule {@code u_t = β1·(1 − 0.5·0.96^t)} (Keras 2 and PyTorch's
 * default decayed it as {@code 0.96^(0.004·t)}); the running product of u_t is recomputed from t, so it needs no
 * saved state to resume.
 */
public record Nadam(double learningRate, @JsonProperty("beta_1") double beta1, @JsonProperty("beta_2") double beta2,
                    double epsilon, @NonNull Clipping clipping) implements Optimizer {
    public Nadam {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkFraction("beta_1", beta1);
        Optimizer.checkFraction("beta_2", beta2);
        Optimizer.checkRate("epsilon", epsilon);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull Nadam of(double learningRate) {
        return new Nadam(learningRate, 0.9, 0.999, 1e-7, Clipping.NONE);
    }

    public @NonNull Nadam epsilon(double v) {
        return new Nadam(learningRate, beta1, beta2, v, clipping);
    }

    @Override
    public String type() {
        return "nadam";
    }

    @Override
    public Nadam withClipping(Clipping c) {
        return new Nadam(learningRate, beta1, beta2, epsilon, c);
    }

    @Override
    public Nadam withLearningRate(double lr) {
        return new Nadam(lr, beta1, beta2, epsilon, clipping);
    }

    private double u(long t) {
        return beta1 * (1 - 0.5 * Math.pow(0.96, t));
    }

    /** The momentum schedule's running product u_1 · … · u_t after t steps (Keras' {@code u_product}). */
    public double scheduleProduct(long t) {
        double p = 1;
        for (long i = 1; i <= t; i++) {
            p *= u(i);
        }
        return p;
    }

    @Override
    public UpdateRule rule() {
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float eps = (float) epsilon;
        return new UpdateRule() {
            private long productStep;
            private double product = 1;

            @Override
            public int moments() {
                return 2;
            }

            @Override
            public void apply(float[] p, float[] g, float[][] s, int n, long t, float lr) {
                float[] s0 = s.length > 0 ? s[0] : null;
                float[] s1 = s.length > 1 ? s[1] : null;
                if (productStep > t) {
                    productStep = 0;
                    product = 1;
                }
                while (productStep < t) {
                    product *= u(++productStep);
                }
                double ut = u(t);
                double ut1 = u(t + 1);
                float cm = (float) (ut1 / (1 - product * ut1));
                float cg = (float) ((1 - ut) / (1 - product));
                float vScale = (float) (1 / (1 - Math.pow(beta2, t)));
                for (int i = 0; i < n; i++) {
                    float gi = g[i];
                    float m = s0[i] + (gi - s0[i]) * (1 - b1);
                    float v = s1[i] + (gi * gi - s1[i]) * (1 - b2);
                    s0[i] = m;
                    s1[i] = v;
                    float mHat = cm * m + cg * gi;
                    p[i] -= lr * mHat / ((float) Math.sqrt(v * vScale) + eps);
                }
            }
        };
    }
}
