package dlkit.layers.preprocessing;

import dlkit.ShapeException;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Keras' Normalization: {@code (x − mean) / max(√variance, 1e-7)} with a mean and variance for each index along
 * {@code axis} (Keras' meaning: axes of the batched input, so 1 is a sample's first axis and −1 its last; [] or null:
 * one mean and variance for everything). {@link #adapt} computes them from data, and they are part of the config, so
 * they travel in the model file. Until adapted (mean and variance null) it passes its input through; {@code invert}
 * maps normalised values back.
 */
public final class Normalization extends Preprocessing<Normalization.Config, Normalization.Builder, Normalization> {
    /** Keras' epsilon: the smallest standard deviation divided by. */
    static final double EPSILON = 1e-7;

    public record Config(@Nullable String name, @NonNull List<Integer> axis, @Nullable List<Double> mean, @Nullable List<Double> variance,
                         boolean invert) implements LayerConfig {
        public Config {
            // Keras writes axis=None as []: one mean and variance for everything; both spellings read as [].
            axis = axis == null ? List.of() : List.copyOf(axis);
            if (axis != null && axis.contains(0)) {
                throw new IllegalArgumentException("axis: 0 is the batch axis, which cannot have statistics of its own; got " + axis);
            }
            if ((mean == null) != (variance == null)) {
                throw new IllegalArgumentException("mean: mean and variance come together (both set, or both null until adapt)");
            }
            if (mean != null) {
                mean = List.copyOf(mean);
                variance = List.copyOf(variance);
                if (mean.size() != variance.size() || mean.isEmpty()) {
                    throw new IllegalArgumentException("variance: expected as many values as mean (" + mean.size() + "), got " + variance.size());
                }
                for (int i = 0; i < mean.size(); i++) {
                    if (!Double.isFinite(mean.get(i)) || !(variance.get(i) >= 0) || Double.isInfinite(variance.get(i))) {
                        throw new IllegalArgumentException("variance: expected finite means and variances >= 0, got mean " + mean.get(i)
                                + " and variance " + variance.get(i) + " at index " + i);
                    }
                }
            }
        }
    }

    /** Keras' defaults: statistics per index of the last axis, not yet adapted. */
    public static final class Builder extends ConfigBuilder<Config> {
        public List<Integer> axis = List.of(-1);
        public @Nullable List<Double> mean;
        public @Nullable List<Double> variance;
        public boolean invert;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Normalization> TYPE = new LayerType<>("Normalization", Builder::new, Set.of(), Normalization::new);

    private final float[] mean32;
    private final float[] inverse32;

    public Normalization(@NonNull Config config) {
        super(TYPE, config);
        int k = config.mean() == null ? 1 : config.mean().size();
        this.mean32 = new float[k];
        this.inverse32 = new float[k];
        for (int i = 0; i < k; i++) {
            double sd = config.mean() == null ? 1 : Math.max(Math.sqrt(config.variance().get(i)), EPSILON);
            mean32[i] = config.mean() == null ? 0 : (float) (double) config.mean().get(i);
            inverse32[i] = (float) (config.invert() ? sd : 1 / sd);
        }
    }

    /** Statistics per index of the last axis (Keras' default). */
    public static @NonNull Normalization of() {
        return TYPE.with(b -> { });
    }

    /** Statistics per index of {@code axes} (1 = a sample's first axis, -1 its last); none: one mean and variance. */
    public static @NonNull Normalization of(int @NonNull ... axes) {
        List<Integer> a = Arrays.stream(axes).boxed().toList();
        return TYPE.with(b -> b.axis = a);
    }

    /** The inverse: normalised values back to the data's scale. */
    public @NonNull Normalization invert(boolean invert) {
        return change(b -> b.invert = invert);
    }

    /** The same layer with mean and variance computed from {@code data} (population variance, as Keras' adapt). */
    public @NonNull Normalization adapt(@NonNull Samples data) {
        Shape shape = data.featureShape();
        int[] stat = indices(shape);
        int k = stat == null ? 1 : Arrays.stream(stat).max().orElse(0) + 1;
        double[] sum = new double[k];
        double[] sq = new double[k];
        long[] n = new long[k];
        for (int i = 0; i < data.count(); i++) {
            float[] v = data.features(i);
            for (int j = 0; j < v.length; j++) {
                int s = stat == null ? 0 : stat[j];
                sum[s] += v[j];
                sq[s] += (double) v[j] * v[j];
                n[s]++;
            }
        }
        if (data.count() == 0) {
            throw new IllegalArgumentException("cannot adapt Normalization to an empty data set");
        }
        List<Double> mean = new ArrayList<>();
        List<Double> var = new ArrayList<>();
        for (int s = 0; s < k; s++) {
            double m = sum[s] / n[s];
            mean.add(m);
            var.add(Math.max(0, sq[s] / n[s] - m * m));
        }
        return change(b -> {
            b.mean = mean;
            b.variance = var;
        });
    }

    @Override
    int @Nullable [] statistics(Shape shape) {
        int[] stat = indices(shape);
        int k = stat == null ? 1 : Arrays.stream(stat).max().orElse(0) + 1;
        if (config().mean() != null && config().mean().size() != k) {
            throw new ShapeException("Normalization '" + name() + "': " + config().mean().size() + " means and variances, but axis "
                    + config().axis() + " of input " + shape.withBatch() + " has " + k + " indices");
        }
        return stat;
    }

    /** For each position of a sample, the index of its statistic over the kept axes (row-major); null for one statistic. */
    private int @Nullable [] indices(Shape shape) {
        List<Integer> axis = config().axis();
        if (axis.isEmpty()) {
            return null;
        }
        int rank = shape.rank();
        TreeSet<Integer> kept = new TreeSet<>();
        for (int a : axis) {
            int r = a < 0 ? a + rank + 1 : a;
            if (r < 1 || r > rank) {
                throw new ShapeException("Normalization '" + name() + "': axis " + a + " does not exist in input " + shape.withBatch()
                        + " (axes 1 to " + rank + ", or -1 to -" + rank + ")");
            }
            kept.add(r - 1);
        }
        int size = shape.size();
        int[] stat = new int[size];
        int[] dims = shape.dims();
        for (int p = 0; p < size; p++) {
            int rest = p;
            int index = 0;
            int stride = 1;
            for (int d = rank - 1; d >= 0; d--) {
                int coord = rest % dims[d];
                rest /= dims[d];
                if (kept.contains(d)) {
                    index += coord * stride;
                    stride *= dims[d];
                }
            }
            stat[p] = index;
        }
        return stat;
    }

    @Override
    float apply(float x, int s) {
        return config().invert() ? x * inverse32[s] + mean32[s] : (x - mean32[s]) * inverse32[s];
    }

    @Override
    double apply(double x, int s) {
        double m = config().mean() == null ? 0 : config().mean().get(s);
        double sd = config().mean() == null ? 1 : Math.max(Math.sqrt(config().variance().get(s)), EPSILON);
        return config().invert() ? x * sd + m : (x - m) / sd;
    }

    @Override
    double slope(int s) {
        double sd = config().mean() == null ? 1 : Math.max(Math.sqrt(config().variance().get(s)), EPSILON);
        return config().invert() ? sd : 1 / sd;
    }
}
