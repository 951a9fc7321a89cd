package dlkit.optim;

import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;

/** Keras' SGD: {@code v = momentum·v − lr·g; w += v} (or {@code w += momentum·v − lr·g} with Nesterov). Defaults lr 0.01, momentum 0. */
public record Sgd(double learningRate, double momentum, boolean nesterov, @NonNull Clipping clipping) implements Optimizer {
    public Sgd {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkFraction("momentum", momentum);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull Sgd of(double learningRate) {
        return new Sgd(learningRate, 0, false, Clipping.NONE);
    }

    public static @NonNull Sgd of() {
        return of(0.01);
    }

    public @NonNull Sgd momentum(double momentum) {
        return new Sgd(learningRate, momentum, nesterov, clipping);
    }

    public @NonNull Sgd nesterov(boolean nesterov) {
        return new Sgd(learningRate, momentum, nesterov, clipping);
    }

    @Override
    public String type() {
        return "sgd";
    }

    @Override
    public Sgd withClipping(Clipping c) {
        return new Sgd(learningRate, momentum, nesterov, c);
    }

    @Override
    public Sgd withLearningRate(double lr) {
        return new Sgd(lr, momentum, nesterov, clipping);
    }

    @Override
    public IUpdater toNd4j() {
        if (momentum == 0) {
            return new org.nd4j.linalg.learning.config.Sgd(learningRate);
        }
        return nesterov ? new Nesterovs(learningRate, momentum) : null;
    }

    @Override
    public UpdateRule rule() {
        float mu = (float) momentum;
        boolean nest = nesterov;
        return new UpdateRule() {
            @Override
            public int moments() {
                return mu == 0 ? 0 : 1;
            }

            @Override
            public void apply(float[] p, float[] g, float[][] s, int n, long t, float lr) {
                float[] s0 = s.length > 0 ? s[0] : null;
                if (mu == 0) {
                    for (int i = 0; i < n; i++) {
                        p[i] -= lr * g[i];
                    }
                } else if (nest) {
                    for (int i = 0; i < n; i++) {
                        float v = mu * s0[i] - lr * g[i];
                        s0[i] = v;
                        p[i] += mu * v - lr * g[i];
                    }
                } else {
                    for (int i = 0; i < n; i++) {
                        float v = mu * s0[i] - lr * g[i];
                        s0[i] = v;
                        p[i] += v;
                    }
                }
            }
        };
    }
}
