package dlkit.layers;

import com.fasterxml.jackson.annotation.JsonProperty;
import dlkit.tensor.Buf;
import org.jspecify.annotations.NonNull;

/**
 * Keras' L1L2 weight penalty: {@code l1·Σ|w| + l2·Σw²}, added to the loss; its gradient is added to the weights'.
 * JSON: {@code {"l1": 0.0, "l2": 0.0001}}.
 */
public record Regularizer(@JsonProperty("l1") double l1, @JsonProperty("l2") double l2) {
    public Regularizer {
        if (!(l1 >= 0) || !(l2 >= 0) || Double.isInfinite(l1) || Double.isInfinite(l2)) {
            throw new IllegalArgumentException("regularizer factors must be finite and >= 0, got l1=" + l1 + ", l2=" + l2);
        }
    }

    /** Keras' default factor for {@code L1()} is 0.01. */
    public static @NonNull Regularizer l1(double factor) {
        return new Regularizer(factor, 0);
    }

    public static @NonNull Regularizer l2(double factor) {
        return new Regularizer(0, factor);
    }

    public static @NonNull Regularizer l1l2(double l1, double l2) {
        return new Regularizer(l1, l2);
    }

    public double penalty(@NonNull Buf w, int n) {
        double s1 = 0;
        double s2 = 0;
        for (int i = 0; i < n; i++) {
            double v = w.get(i);
            s1 += Math.abs(v);
            s2 += v * v;
        }
        return l1 * s1 + l2 * s2;
    }

    /** grad += d(penalty)/dw. */
    public void addGradient(@NonNull Buf w, @NonNull Buf grad, int n) {
        for (int i = 0; i < n; i++) {
            double v = w.get(i);
            grad.add(i, l1 * Math.signum(v) + 2 * l2 * v);
        }
    }
}
