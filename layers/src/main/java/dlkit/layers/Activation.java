package dlkit.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dlkit.config.Json;
import dlkit.tensor.Buf;
import java.util.Locale;
import org.apache.commons.math3.special.Erf;
import org.jspecify.annotations.NonNull;

/**
 * Element-wise activation functions with Keras' names and defaults, and their compiled forward and backward rules.
 * Backward rules read the pre-activation {@code z} or the output {@code y}, whichever is cheaper and exact.
 */
public enum Activation {
    LINEAR,
    SIGMOID,
    TANH,
    RELU,
    /** Keras' {@code leaky_relu} activation: negative slope 0.2. */
    LEAKY_RELU,
    /** alpha = 1. */
    ELU,
    /** Exact (erf-based) GELU, Keras' default {@code approximate=False}. */
    GELU,
    /** Over the last axis. */
    SOFTMAX,
    /** Keras 3's piecewise-linear sigmoid, {@code relu6(z + 3) / 6} (Keras 2's slope was 0.2). */
    HARD_SIGMOID,
    /** {@code z · hard_sigmoid(z)}; Keras' {@code hard_swish} is the same. */
    HARD_SILU,
    RELU6,
    /** Self-normalising ELU (Klambauer et al. 2017) with Keras' alpha and scale. */
    SELU,
    SOFTPLUS,
    SOFTSIGN,
    /** {@code z · sigmoid(z)}; Keras' {@code swish} is the same. */
    SILU,
    /** {@code z · tanh(softplus(z))}. */
    MISH,
    EXPONENTIAL;

    static final double LEAKY_SLOPE = 0.2;
    private static final double SELU_ALPHA = 1.6732632423543772848170429916717;
    private static final double SELU_SCALE = 1.0507009873554804934193349852946;
    private static final double INV_SQRT2 = 0.7071067811865476;
    private static final double INV_SQRT2PI = 0.3989422804014327;

    @JsonValue
    public @NonNull String jsonName() {
        return Json.enumName(this);
    }

    @JsonCreator
    public static @NonNull Activation fromJson(@NonNull String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "leakyrelu" -> LEAKY_RELU;
            case "swish" -> SILU;
            case "hard_swish" -> HARD_SILU;
            default -> Json.enumValue(Activation.class, n, "activation");
        };
    }

    /** Big float32 ReLU passes run on heap copies: bulk copies plus a vectorised loop beat element access 3×. */
    private static final int HEAP_MIN = 1 << 14;
    private static final ThreadLocal<float[][]> HEAP = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    private static float[] heap(int slot, int n) {
        float[][] h = HEAP.get();
        if (h[slot].length < n) {
            h[slot] = new float[n];
        }
        return h[slot];
    }

    /** y = f(z) over {@code rows} rows of {@code width}; y may be z (in place) for every activation. */
    public void forward(@NonNull Buf z, @NonNull Buf y, int rows, int width) {
        int n = rows * width;
        if (this == RELU && n >= HEAP_MIN && z instanceof Buf.F32 && y instanceof Buf.F32) {
            float[] h = heap(0, n);
            z.get(0, h, 0, n);
            for (int i = 0; i < n; i++) {
                h[i] = Math.max(h[i], 0f);
            }
            y.put(0, h, 0, n);
            return;
        }
        switch (this) {
            case LINEAR -> {
                if (y != z) {
                    y.copyFrom(z, 0, 0, n);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    y.set(i, sigmoid(z.get(i)));
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    y.set(i, Math.tanh(z.get(i)));
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    y.set(i, Math.max(z.get(i), 0.0));
                }
            }
            case LEAKY_RELU -> {
                for (int i = 0; i < n; i++) {
                    double v = z.get(i);
                    y.set(i, v > 0 ? v : LEAKY_SLOPE * v);
                }
            }
            case ELU -> {
                for (int i = 0; i < n; i++) {
                    double v = z.get(i);
                    y.set(i, v > 0 ? v : Math.expm1(v));
                }
            }
            case GELU -> {
                boolean precise = z instanceof Buf.F64;
                for (int i = 0; i < n; i++) {
                    double v = z.get(i);
                    y.set(i, 0.5 * v * (1 + erf(v * INV_SQRT2, precise)));
                }
            }
            case SOFTMAX -> softmaxRows(z, y, rows, width);
            default -> {
                for (int i = 0; i < n; i++) {
                    y.set(i, apply(z.get(i)));
                }
            }
        }
    }

    /** dz = f'(z) ⊙ dy; dz may be dy (in place). */
    public void backward(@NonNull Buf z, @NonNull Buf y, @NonNull Buf dy, @NonNull Buf dz, int rows, int width) {
        int n = rows * width;
        if (this == RELU && n >= HEAP_MIN && y instanceof Buf.F32 && dy instanceof Buf.F32 && dz instanceof Buf.F32) {
            float[] hy = heap(0, n);
            float[] hd = heap(1, n);
            y.get(0, hy, 0, n);
            dy.get(0, hd, 0, n);
            for (int i = 0; i < n; i++) {
                hd[i] = hy[i] > 0 ? hd[i] : 0f;
            }
            dz.put(0, hd, 0, n);
            return;
        }
        switch (this) {
            case LINEAR -> {
                if (dz != dy) {
                    dz.copyFrom(dy, 0, 0, n);
                }
            }
            case SIGMOID -> {
                for (int i = 0; i < n; i++) {
                    double s = y.get(i);
                    dz.set(i, dy.get(i) * s * (1 - s));
                }
            }
            case TANH -> {
                for (int i = 0; i < n; i++) {
                    double t = y.get(i);
                    dz.set(i, dy.get(i) * (1 - t * t));
                }
            }
            case RELU -> {
                for (int i = 0; i < n; i++) {
                    dz.set(i, y.get(i) > 0 ? dy.get(i) : 0.0);
                }
            }
            case LEAKY_RELU -> {
                for (int i = 0; i < n; i++) {
                    dz.set(i, y.get(i) > 0 ? dy.get(i) : LEAKY_SLOPE * dy.get(i));
                }
            }
            case ELU -> {
                for (int i = 0; i < n; i++) {
                    double v = y.get(i);
                    dz.set(i, v > 0 ? dy.get(i) : dy.get(i) * (v + 1));
                }
            }
            case GELU -> {
                boolean precise = z instanceof Buf.F64;
                for (int i = 0; i < n; i++) {
                    double v = z.get(i);
                    double cdf = 0.5 * (1 + erf(v * INV_SQRT2, precise));
                    double pdf = INV_SQRT2PI * Math.exp(-0.5 * v * v);
                    dz.set(i, dy.get(i) * (cdf + v * pdf));
                }
            }
            case SOFTMAX -> {
                for (int r = 0; r < rows; r++) {
                    int o = r * width;
                    double dot = 0;
                    for (int j = 0; j < width; j++) {
                        dot += dy.get(o + j) * y.get(o + j);
                    }
                    for (int j = 0; j < width; j++) {
                        dz.set(o + j, y.get(o + j) * (dy.get(o + j) - dot));
                    }
                }
            }
            default -> {
                // z is only read by the activations that need it (backwardNeedsInput); for the others it may be y
                for (int i = 0; i < n; i++) {
                    dz.set(i, dy.get(i) * derivative(z.get(i), y.get(i)));
                }
            }
        }
    }

    /** Whether backward needs the pre-activation z kept apart from the output y (all others derive f' from y). */
    public boolean backwardNeedsInput() {
        return switch (this) {
            case GELU, HARD_SILU, SILU, MISH -> true;
            default -> false;
        };
    }

    /** f(z) for one element (recurrent cells); softmax has no element-wise form. */
    public double apply(double z) {
        return switch (this) {
            case LINEAR -> z;
            case SIGMOID -> sigmoid(z);
            case TANH -> tanh(z);
            case RELU -> Math.max(z, 0.0);
            case LEAKY_RELU -> z > 0 ? z : LEAKY_SLOPE * z;
            case ELU -> z > 0 ? z : Math.expm1(z);
            case GELU -> 0.5 * z * (1 + erf(z * INV_SQRT2, true));
            case SOFTMAX -> throw new UnsupportedOperationException("softmax is not element-wise");
            case HARD_SIGMOID -> hardSigmoid(z);
            case HARD_SILU -> z * hardSigmoid(z);
            case RELU6 -> Math.min(Math.max(z, 0.0), 6.0);
            case SELU -> z > 0 ? SELU_SCALE * z : SELU_SCALE * SELU_ALPHA * Math.expm1(z);
            case SOFTPLUS -> softplus(z);
            case SOFTSIGN -> z / (1 + Math.abs(z));
            case SILU -> z * sigmoid(z);
            case MISH -> z * Math.tanh(softplus(z));
            case EXPONENTIAL -> Math.exp(z);
        };
    }

    /**
     * tanh through one {@code Math.exp} (an intrinsic; {@code Math.tanh} is not, and was most of an LSTM step's
     * gate time). Below |z| = 2^-10 a Taylor series avoids the cancellation in e − 1; accurate to a few ulps.
     */
    public static double tanh(double z) {
        double a = Math.abs(z);
        if (a < 0x1p-10) {
            double z2 = z * z;
            return z * (1 - z2 * (1.0 / 3 - z2 * (2.0 / 15)));
        }
        if (a > 20) {
            return Math.signum(z);
        }
        double e = Math.exp(2 * z);
        return (e - 1) / (e + 1);
    }

    // Eigen's rational approximation of tanh (a [13/6] Padé-type fit, clamped): within 3e-7 of tanh everywhere, and
    // plain arithmetic, so loops over arrays of it vectorise. For float32 recurrent cells only: float64 stays exact.
    private static final double TANH_CLAMP = 7.90531110763549805;
    private static final double A1 = 4.89352455891786e-03, A3 = 6.37261928875436e-04, A5 = 1.48572235717979e-05,
            A7 = 5.12229709037114e-08, A9 = -8.60467152213735e-11, A11 = 2.00018790482477e-13, A13 = -2.76076847742355e-16;
    private static final double B0 = 4.89352518554385e-03, B2 = 2.26843463243900e-03, B4 = 1.18534705686654e-04,
            B6 = 1.19825839466702e-06;

    /** dst[dstOff + i] = tanh(src[srcOff + i]) to float32 precision (absolute error below 3e-7). */
    public static void tanhFast(double @NonNull [] src, int srcOff, double @NonNull [] dst, int dstOff, int len) {
        for (int i = 0; i < len; i++) {
            double x = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, src[srcOff + i]));
            double x2 = x * x;
            double p = x * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * (A11 + x2 * A13))))));
            double q = B0 + x2 * (B2 + x2 * (B4 + x2 * B6));
            dst[dstOff + i] = p / q;
        }
    }

    /** dst = sigmoid(src) = (1 + tanh(src / 2)) / 2, to float32 precision. */
    public static void sigmoidFast(double @NonNull [] src, int srcOff, double @NonNull [] dst, int dstOff, int len) {
        for (int i = 0; i < len; i++) {
            double x = Math.max(-TANH_CLAMP, Math.min(TANH_CLAMP, 0.5 * src[srcOff + i]));
            double x2 = x * x;
            double p = x * (A1 + x2 * (A3 + x2 * (A5 + x2 * (A7 + x2 * (A9 + x2 * (A11 + x2 * A13))))));
            double q = B0 + x2 * (B2 + x2 * (B4 + x2 * B6));
            dst[dstOff + i] = 0.5 + 0.5 * (p / q);
        }
    }

    /** f'(z) for one element, given z and y = f(z). */
    public double derivative(double z, double y) {
        return switch (this) {
            case LINEAR -> 1;
            case SIGMOID -> y * (1 - y);
            case TANH -> 1 - y * y;
            case RELU -> z > 0 ? 1 : 0;
            case LEAKY_RELU -> z > 0 ? 1 : LEAKY_SLOPE;
            case ELU -> z > 0 ? 1 : y + 1;
            case GELU -> 0.5 * (1 + erf(z * INV_SQRT2, true)) + z * Math.exp(-0.5 * z * z) * INV_SQRT2PI;
            case SOFTMAX -> throw new UnsupportedOperationException("softmax is not element-wise");
            // the piecewise-linear ones from y, which gives the same kinks as z: 1/6 (or 1) strictly inside
            case HARD_SIGMOID -> y > 0 && y < 1 ? 1.0 / 6 : 0;
            case HARD_SILU -> z <= -3 ? 0 : z >= 3 ? 1 : z / 3 + 0.5;
            case RELU6 -> y > 0 && y < 6 ? 1 : 0;
            case SELU -> y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
            // softplus' derivative is sigmoid(z) = 1 − e^(−y)
            case SOFTPLUS -> -Math.expm1(-y);
            case SOFTSIGN -> (1 - Math.abs(y)) * (1 - Math.abs(y));
            case SILU -> {
                double sg = sigmoid(z);
                yield sg * (1 + z * (1 - sg));
            }
            case MISH -> {
                double t = Math.tanh(softplus(z));
                yield t + z * (1 - t * t) * sigmoid(z);
            }
            case EXPONENTIAL -> y;
        };
    }

    private static double hardSigmoid(double z) {
        return Math.min(Math.max(z / 6 + 0.5, 0.0), 1.0);
    }

    /** log(1 + e^z) without overflow or cancellation. */
    private static double softplus(double z) {
        return Math.max(z, 0.0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    /** The logistic function, split by sign so exp never overflows. */
    public static double sigmoid(double v) {
        if (v >= 0) {
            return 1 / (1 + Math.exp(-v));
        }
        double e = Math.exp(v);
        return e / (1 + e);
    }

    /** Numerically stable row softmax; y may alias z. */
    public static void softmaxRows(@NonNull Buf z, @NonNull Buf y, int rows, int width) {
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < width; j++) {
                max = Math.max(max, z.get(o + j));
            }
            double sum = 0;
            for (int j = 0; j < width; j++) {
                double e = Math.exp(z.get(o + j) - max);
                y.set(o + j, e);
                sum += e;
            }
            double inv = 1 / sum;
            for (int j = 0; j < width; j++) {
                y.set(o + j, y.get(o + j) * inv);
            }
        }
    }

    /**
     * float64 buffers get commons-math's full-precision erf (so gradient checks see the true derivative); float32
     * buffers get Abramowitz–Stegun 7.1.26, whose 1.5e-7 error is below float32 resolution and far cheaper.
     */
    static double erf(double x, boolean precise) {
        if (precise) {
            return Erf.erf(x);
        }
        double ax = Math.abs(x);
        double t = 1 / (1 + 0.3275911 * ax);
        double poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double r = 1 - poly * Math.exp(-ax * ax);
        return x >= 0 ? r : -r;
    }
}
