package dlkit.optim;

import org.jspecify.annotations.NonNull;

/** Keras' Adagrad: {@code a += g²; w −= lr·g/√(a + ε)}. Defaults lr 0.001, initial accumulator 0.1, ε 1e-7. */
public record AdaGrad(double learningRate, double initialAccumulatorValue, double epsilon, @NonNull Clipping clipping) implements Optimizer {
    public AdaGrad {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkRate("initial_accumulator_value", initialAccumulatorValue);
        Optimizer.checkRate("epsilon", epsilon);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull AdaGrad of(double learningRate) {
        return new AdaGrad(learningRate, 0.1, 1e-7, Clipping.NONE);
    }

    public @NonNull AdaGrad initialAccumulatorValue(double v) {
        return new AdaGrad(learningRate, v, epsilon, clipping);
    }

    public @NonNull AdaGrad epsilon(double v) {
        return new AdaGrad(learningRate, initialAccumulatorValue, v, clipping);
    }

    @Override
    public String type() {
        return "adagrad";
    }

    @Override
    public AdaGrad withClipping(Clipping c) {
        return new AdaGrad(learningRate, initialAccumulatorValue, epsilon, c);
    }

    @Override
    public AdaGrad withLearningRate(double lr) {
        return new AdaGrad(lr, initialAccumulatorValue, epsilon, clipping);
    }

    @Override
    public UpdateRule rule() {
        float eps = (float) epsilon;
        float init = (float) initialAccumulatorValue;
        return new UpdateRule() {
            @Override
            public int moments() {
                return 1;
            }

            @Override
            public void initState(float[][] s, int n) {
                java.util.Arrays.fill(s[0], 0, n, init);
            }

            @Override
            public void apply(float[] p, float[] g, float[][] s, int n, long t, float lr) {
                float[] s0 = s.length > 0 ? s[0] : null;
                for (int i = 0; i < n; i++) {
                    float gi = g[i];
                    float a = s0[i] + gi * gi;
                    s0[i] = a;
                    p[i] -= lr * gi / (float) Math.sqrt(a + eps);
                }
            }
        };
    }
}
