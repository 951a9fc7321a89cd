package dlkit.optim;

import org.jspecify.annotations.NonNull;

/**
 * Keras' Adadelta (Zeiler 2012): {@code Eg = ρ·Eg + (1−ρ)·g²; Δ = √(Edx + ε)/√(Eg + ε)·g; Edx = ρ·Edx + (1−ρ)·Δ²;
 * w −= lr·Δ}. Defaults lr 0.001, ρ 0.95, ε 1e-7 (lr 1.0 is the paper's).
 */
public record AdaDelta(double learningRate, double rho, double epsilon, @NonNull Clipping clipping) implements Optimizer {
    public AdaDelta {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkFraction("rho", rho);
        Optimizer.checkRate("epsilon", epsilon);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull AdaDelta of(double learningRate) {
        return new AdaDelta(learningRate, 0.95, 1e-7, Clipping.NONE);
    }

    public @NonNull AdaDelta rho(double v) {
        return new AdaDelta(learningRate, v, epsilon, clipping);
    }

    public @NonNull AdaDelta epsilon(double v) {
        return new AdaDelta(learningRate, rho, v, clipping);
    }

    @Override
    public String type() {
        return "adadelta";
    }

    @Override
    public AdaDelta withClipping(Clipping c) {
        return new AdaDelta(learningRate, rho, epsilon, c);
    }

    @Override
    public AdaDelta withLearningRate(double lr) {
        return new AdaDelta(lr, rho, epsilon, clipping);
    }

    @Override
    public UpdateRule rule() {
        float r = (float) rho;
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
                for (int i = 0; i < n; i++) {
                    float gi = g[i];
                    float eg = r * s0[i] + (1 - r) * gi * gi;
                    float d = (float) Math.sqrt(s1[i] + eps) / (float) Math.sqrt(eg + eps) * gi;
                    s0[i] = eg;
                    s1[i] = r * s1[i] + (1 - r) * d * d;
                    p[i] -= lr * d;
                }
            }
        };
    }
}
