package dlkit.optim;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.NonNull;

/** Adam with decoupled weight decay (Loshchilov & Hutter): {@code w −= lr·weight_decay·w} before the Adam step. Default decay 0.004. */
public record AdamW(double learningRate, double weightDecay, @JsonProperty("beta_1") double beta1,
                    @JsonProperty("beta_2") double beta2, double epsilon, @NonNull Clipping clipping) implements Optimizer {
    public AdamW {
        Optimizer.checkRate("learning_rate", learningRate);
        Optimizer.checkRate("weight_decay", weightDecay);
        Optimizer.checkFraction("beta_1", beta1);
        Optimizer.checkFraction("beta_2", beta2);
        Optimizer.checkRate("epsilon", epsilon);
        if (clipping == null) {
            clipping = Clipping.NONE;
        }
    }

    public static @NonNull AdamW of(double learningRate) {
        return new AdamW(learningRate, 0.004, 0.9, 0.999, 1e-7, Clipping.NONE);
    }

    public @NonNull AdamW weightDecay(double v) {
        return new AdamW(learningRate, v, beta1, beta2, epsilon, clipping);
    }

    public @NonNull AdamW epsilon(double v) {
        return new AdamW(learningRate, weightDecay, beta1, beta2, v, clipping);
    }

    @Override
    public String type() {
        return "adamw";
    }

    @Override
    public AdamW withClipping(Clipping c) {
        return new AdamW(learningRate, weightDecay, beta1, beta2, epsilon, c);
    }

    @Override
    public AdamW withLearningRate(double lr) {
        return new AdamW(lr, weightDecay, beta1, beta2, epsilon, clipping);
    }

    @Override
    public UpdateRule rule() {
        return Adam.adamRule(beta1, beta2, epsilon, weightDecay);
    }
}
