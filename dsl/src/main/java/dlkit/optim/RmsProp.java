package dlkit.optim;

import org.jspecify.annotations.NonNull;

/**
 * Keras' RMSprop: {@code v = ρ·v + (1−ρ)·g²; step = lr·g/√(v + ε)}, optionally through momentum. Defaults lr 0.001,
 * ρ 0.9, momentum 0, ε 1e-7 (inside the square root, as Keras 3 has it).
 */
public record RmsProp(double learningRate, double rho, double momentum, double epsilon, @NonNull Clipping clipping) implements Optimizer {
    public RmsProp {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkFraction("rho", rho);
        Optimizer.checkFraction("momentum", momentum);
        Optimizer.checkRate("epsilon", epsilon);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull RmsProp of(double learningRate) {
        return new RmsProp(learningRate, 0.9, 0, 1e-7, Clipping.NONE);
    }

    public @NonNull RmsProp rho(double v) {
        return new RmsProp(learningRate, v, momentum, epsilon, clipping);
    }

    public @NonNull RmsProp momentum(double v) {
        return new RmsProp(learningRate, rho, v, epsilon, clipping);
    }

    public @NonNull RmsProp epsilon(double v) {
        return new RmsProp(learningRate, rho, momentum, v, clipping);
    }

    @Override
    public String type() {
        return "rmsprop";
    }

    @Override
    public RmsProp withClipping(Clipping c) {
        return new RmsProp(learningRate, rho, momentum, epsilon, c);
    }

    @Override
    public RmsProp withLearningRate(double lr) {
        return new RmsProp(lr, rho, momentum, epsilon, clipping);
    }

    @Override
    public UpdateRule rule() {
        float r = (float) rho;
        float mu = (float) momentum;
        float eps = (float) epsilon;
        return new UpdateRule() {
            @Override
            public int moments() {
                return mu == 0 ? 1 : 2;
            }

            @Override
            public void apply(float[] p, float[] g, float[][] s, int n, long t, float lr) {
                float[] s0 = s.length > 0 ? s[0] : null;
                float[] s1 = s.length > 1 ? s[1] : null;
                for (int i = 0; i < n; i++) {
                    float gi = g[i];
                    float v = r * s0[i] + (1 - r) * gi * gi;
                    s0[i] = v;
                    float inc = lr * gi / (float) Math.sqrt(v + eps);
                    if (mu == 0) {
                        p[i] -= inc;
                    } else {
                        float m = mu * s1[i] + inc;
                        s1[i] = m;
                        p[i] -= m;
                    }
                }
            }
        };
    }
}
