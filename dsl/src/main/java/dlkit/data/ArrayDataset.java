package dlkit.data;

import dlkit.DlkitException;
import dlkit.tensor.Buf;
import dlkit.layers.preprocessing.Preprocessing;
import dlkit.layers.preprocessing.Samples;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** An in-memory dataset over row-major float arrays; {@link #slice} views share the arrays. */
public final class ArrayDataset implements Dataset, Samples {
    private final float[] x;
    private final float[] y;
    private final Shape featureShape;
    private final int labelWidth;
    private final int from;
    private final int count;

    public ArrayDataset(float @NonNull [] x, @NonNull Shape featureShape, float @NonNull [] y, int labelWidth) {
        this(x, featureShape, y, labelWidth, 0, x.length / featureShape.size());
        if (x.length % featureShape.size() != 0) {
            throw new DlkitException("features: " + x.length + " values is not a whole number of samples of shape " + featureShape);
        }
        if (labelWidth > 0 && y.length != (long) count * labelWidth) {
            throw new DlkitException("labels: expected " + count + " samples × " + labelWidth + " = " + (long) count * labelWidth + " values, got " + y.length);
        }
    }

    private ArrayDataset(float[] x, Shape featureShape, float[] y, int labelWidth, int from, int count) {
        this.x = x;
        this.y = y;
        this.featureShape = featureShape;
        this.labelWidth = labelWidth;
        this.from = from;
        this.count = count;
    }

    public static @NonNull ArrayDataset of(@NonNull INDArray x, @NonNull INDArray y) {
        if (x.rank() < 2) {
            throw new DlkitException("features: expected an array shaped [samples, ...], got shape " + Arrays.toString(x.shape()));
        }
        long n = x.size(0);
        if (y.rank() == 0 || y.size(0) != n) {
            throw new DlkitException("labels: expected " + n + " rows to match the features, got shape " + Arrays.toString(y.shape()));
        }
        int[] dims = new int[x.rank() - 1];
        for (int i = 1; i < x.rank(); i++) {
            dims[i - 1] = (int) x.size(i);
        }
        int width = y.rank() == 1 ? 1 : (int) (y.length() / n);
        return new ArrayDataset(toFloats(x), Shape.of(dims), toFloats(y), width);
    }

    /**
     * Data for a model with several inputs and outputs: each sample's inputs packed one after another (flattened, in
     * the model's input order) and its labels likewise, as such a model reads them. One input and one label array
     * give the same dataset as {@link #of(INDArray, INDArray)} apart from the flattened feature shape.
     */
    public static @NonNull ArrayDataset ofArrays(@NonNull List<INDArray> inputs, @NonNull List<INDArray> labels) {
        if (inputs.isEmpty() || labels.isEmpty()) {
            throw new DlkitException("ofArrays: expected at least one input array and one label array");
        }
        long n = inputs.get(0).size(0);
        float[][] xs = new float[inputs.size()][];
        int[] xw = new int[inputs.size()];
        int xTotal = 0;
        for (int i = 0; i < inputs.size(); i++) {
            INDArray a = inputs.get(i);
            if (a.rank() < 1 || a.size(0) != n) {
                throw new DlkitException("input array " + i + ": expected " + n + " samples like input 0, got shape " + Arrays.toString(a.shape()));
            }
            xs[i] = toFloats(a);
            xw[i] = (int) (a.length() / n);
            xTotal += xw[i];
        }
        float[][] ys = new float[labels.size()][];
        int[] yw = new int[labels.size()];
        int yTotal = 0;
        for (int i = 0; i < labels.size(); i++) {
            INDArray a = labels.get(i);
            if (a.rank() < 1 || a.size(0) != n) {
                throw new DlkitException("label array " + i + ": expected " + n + " rows to match the inputs, got shape " + Arrays.toString(a.shape()));
            }
            ys[i] = toFloats(a);
            yw[i] = (int) (a.length() / n);
            yTotal += yw[i];
        }
        return new ArrayDataset(pack(xs, xw, xTotal, (int) n), Shape.of(xTotal), pack(ys, yw, yTotal, (int) n), yTotal);
    }

    private static float[] pack(float[][] parts, int[] widths, int total, int n) {
        float[] out = new float[n * total];
        for (int r = 0; r < n; r++) {
            int off = r * total;
            for (int i = 0; i < parts.length; i++) {
                System.arraycopy(parts[i], r * widths[i], out, off, widths[i]);
                off += widths[i];
            }
        }
        return out;
    }

    /** The samples as their own labels (an autoencoder's targets): label width = the sample size. */
    public @NonNull ArrayDataset autoencoding() {
        int w = featureShape.size();
        float[] xs = Arrays.copyOfRange(x, from * w, (from + count) * w);
        // Features and labels share one array: nothing writes to a dataset's arrays.
        return new ArrayDataset(xs, featureShape, xs, w);
    }

    /**
     * Each sample's target is the sample as {@code preprocessing} (the model's first layer) turns it into: an
     * autoencoder whose model takes raw data reconstructs what its hidden layers see.
     */
    public @NonNull ArrayDataset autoencoding(@NonNull Preprocessing<?, ?, ?> preprocessing) {
        int w = featureShape.size();
        float[] xs = Arrays.copyOfRange(x, from * w, (from + count) * w);
        return new ArrayDataset(xs, featureShape, preprocessing.transform(xs, featureShape), w);
    }

    /** The same samples and labels with every feature turned by {@code preprocessing} (for a model that lacks it). */
    public @NonNull ArrayDataset preprocessed(@NonNull Preprocessing<?, ?, ?> preprocessing) {
        int w = featureShape.size();
        float[] xs = preprocessing.transform(Arrays.copyOfRange(x, from * w, (from + count) * w), featureShape);
        return new ArrayDataset(xs, featureShape, Arrays.copyOfRange(y, from * labelWidth, (from + count) * labelWidth), labelWidth);
    }

    public static @NonNull ArrayDataset of(float @NonNull [] @NonNull [] x, int @NonNull [] labels) {
        if (x.length != labels.length) {
            throw new DlkitException("features have " + x.length + " rows but labels have " + labels.length);
        }
        int f = x.length == 0 ? 1 : x[0].length;
        float[] flat = new float[x.length * f];
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != f) {
                throw new DlkitException("features row " + i + " has " + x[i].length + " values, expected " + f);
            }
            System.arraycopy(x[i], 0, flat, i * f, f);
        }
        float[] y = new float[labels.length];
        for (int i = 0; i < labels.length; i++) {
            y[i] = labels[i];
        }
        return new ArrayDataset(flat, Shape.of(f), y, 1);
    }

    static float[] toFloats(INDArray a) {
        return a.castTo(DataType.FLOAT).dup('c').data().asFloat();
    }

    @Override
    public Shape featureShape() {
        return featureShape;
    }

    @Override
    public int labelWidth() {
        return labelWidth;
    }

    @Override
    public long size() {
        return count;
    }

    public int count() {
        return count;
    }

    /** Samples {@code [start, end)} of this dataset, sharing memory. */
    public @NonNull ArrayDataset slice(int start, int end) {
        if (start < 0 || end > count || start > end) {
            throw new IllegalArgumentException("slice [" + start + ", " + end + ") outside dataset of " + count);
        }
        return new ArrayDataset(x, featureShape, y, labelWidth, from + start, end - start);
    }

    /**
     * Replica {@code rank}'s share of data-parallel training over {@code replicas} replicas at {@code batch} samples
     * each: every epoch's order is this dataset's own (the same seed gives the permutation a single-replica fit at
     * batch {@code replicas·batch} sees), cut into global batches of {@code replicas·batch}, of which this replica
     * takes slice {@code rank}. A smaller last global batch is split as evenly as possible; one with fewer samples
     * than replicas is left out, so that every replica takes the same number of steps.
     */
    public @NonNull Dataset shard(int rank, int replicas, int batch) {
        if (replicas < 1 || rank < 0 || rank >= replicas || batch < 1) {
            throw new IllegalArgumentException("shard " + rank + " of " + replicas + " at batch " + batch + ": expected 0 <= rank < replicas and batch >= 1");
        }
        long global = (long) replicas * batch;
        long full = count / global;
        long rest = count - full * global;
        long mine = full * batch + (rest >= replicas ? (rank + 1) * rest / replicas - rank * rest / replicas : 0);
        ArrayDataset all = this;
        return new Dataset() {
            @Override
            public @NonNull Shape featureShape() {
                return featureShape;
            }

            @Override
            public int labelWidth() {
                return labelWidth;
            }

            @Override
            public long size() {
                return mine;
            }

            @Override
            public @NonNull Cursor cursor(boolean shuffle, long seed, int epoch) {
                int[] idx = order(count, shuffle, seed, epoch);
                int f = featureShape.size();
                return new Cursor() {
                    private long start;

                    @Override
                    public int next(@NonNull Buf xb, float @NonNull [] yb, int maxRows) {
                        long size = Math.min(global, count - start);
                        if (size < replicas) {
                            return 0;
                        }
                        int lo = (int) (start + rank * size / replicas);
                        int hi = (int) (start + (rank + 1) * size / replicas);
                        if (hi - lo > maxRows) {
                            throw new IllegalStateException("a shard's batch of " + (hi - lo) + " does not fit a plan for " + maxRows);
                        }
                        for (int r = 0; r < hi - lo; r++) {
                            int s = all.from + idx[lo + r];
                            xb.put(r * f, x, s * f, f);
                            if (labelWidth > 0) {
                                System.arraycopy(y, s * labelWidth, yb, r * labelWidth, labelWidth);
                            }
                        }
                        start += size;
                        return hi - lo;
                    }
                };
            }
        };
    }

    /** Keras' validation_split: the last {@code fraction} of the samples (before any shuffling) is held out. */
    public @NonNull ArrayDataset[] splitTail(double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation_split: expected a number in (0, 1), got " + fraction);
        }
        int val = (int) Math.floor(count * fraction);
        if (val == 0 || val == count) {
            throw new IllegalArgumentException("validation_split " + fraction + " of " + count + " samples leaves an empty split");
        }
        return new ArrayDataset[] {slice(0, count - val), slice(count - val, count)};
    }

    /** The same samples seen with another per-sample shape of the same size (row-major data is unchanged). */
    public @NonNull ArrayDataset reshape(@NonNull Shape shape) {
        if (shape.size() != featureShape.size()) {
            throw new DlkitException("cannot view samples shaped " + featureShape + " (" + featureShape.size() + " values) as "
                    + shape + " (" + shape.size() + " values)");
        }
        return new ArrayDataset(x, shape, y, labelWidth, from, count);
    }

    /** A copy with every feature value mapped through {@code (v - shift[j]) * scale[j]}, j the feature index. */
    public @NonNull ArrayDataset normalized(double @NonNull [] shift, double @NonNull [] scale) {
        int f = featureShape.size();
        float[] out = new float[count * f];
        float[] sh = new float[f];
        float[] sc = new float[f];
        for (int j = 0; j < f; j++) {
            sh[j] = (float) shift[j];
            sc[j] = (float) scale[j];
        }
        // float arithmetic, so scaling bytes by 1/255 here gives exactly what Idx's own scaling gives
        for (int i = 0; i < count; i++) {
            int src = (from + i) * f;
            for (int j = 0; j < f; j++) {
                out[i * f + j] = (x[src + j] - sh[j]) * sc[j];
            }
        }
        float[] labels = java.util.Arrays.copyOfRange(y, from * labelWidth, (from + count) * labelWidth);
        return new ArrayDataset(out, featureShape, labels, labelWidth);
    }

    /** Per-feature mean and population standard deviation. */
    public double @NonNull [] @NonNull [] featureMoments() {
        int f = featureShape.size();
        double[] mean = new double[f];
        double[] sq = new double[f];
        for (int i = 0; i < count; i++) {
            int src = (from + i) * f;
            for (int j = 0; j < f; j++) {
                double v = x[src + j];
                mean[j] += v;
                sq[j] += v * v;
            }
        }
        for (int j = 0; j < f; j++) {
            mean[j] /= Math.max(1, count);
            sq[j] = Math.sqrt(Math.max(0, sq[j] / Math.max(1, count) - mean[j] * mean[j]));
        }
        return new double[][] {mean, sq};
    }

    /** Smallest and largest feature value. */
    public double @NonNull [] range() {
        int f = featureShape.size();
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (int i = from * f; i < (from + count) * f; i++) {
            lo = Math.min(lo, x[i]);
            hi = Math.max(hi, x[i]);
        }
        return new double[] {lo, hi};
    }

    /** Feature values of sample {@code i}, row-major. */
    public float @NonNull [] features(int i) {
        int f = featureShape.size();
        return Arrays.copyOfRange(x, (from + i) * f, (from + i + 1) * f);
    }

    public float label(int i, int j) {
        return y[(from + i) * labelWidth + j];
    }

    /** All samples' features as one array {@code [samples, ...featureShape]} (for predict). */
    public @NonNull INDArray featuresArray() {
        int f = featureShape.size();
        long[] shape = new long[featureShape.rank() + 1];
        shape[0] = count;
        for (int d = 0; d < featureShape.rank(); d++) {
            shape[d + 1] = featureShape.dim(d);
        }
        return org.nd4j.linalg.factory.Nd4j.create(Arrays.copyOfRange(x, from * f, (from + count) * f), shape, 'c');
    }

    /** The class of sample {@code i}: its label for class-index labels, the largest entry for one-hot labels. */
    public int classOf(int i) {
        if (labelWidth == 1) {
            return (int) label(i, 0);
        }
        int best = 0;
        for (int j = 1; j < labelWidth; j++) {
            if (label(i, j) > label(i, best)) {
                best = j;
            }
        }
        return best;
    }

    /** Raises a clear error if a label is not a class index in [0, classes). */
    public void checkClassLabels(int classes, String lossName) {
        if (labelWidth != 1) {
            throw new DlkitException(lossName + " expects one class index per sample, but the labels have " + labelWidth
                    + " values per sample (one-hot labels need categorical_crossentropy)");
        }
        for (int i = 0; i < count; i++) {
            float v = y[from + i];
            if (v != Math.rint(v) || v < 0 || v >= classes) {
                throw new DlkitException("label " + v + " of sample " + i + " is not a class index in [0, " + classes
                        + ") as " + lossName + " with " + classes + " outputs needs");
            }
        }
    }

    /** A seeded permutation per epoch: a resumed run sees the same order as an uninterrupted one. */
    static int[] order(int n, boolean shuffle, long seed, int epoch) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = idx[i];
                idx[i] = idx[j];
                idx[j] = t;
            }
        }
        return idx;
    }

    @Override
    public Cursor cursor(boolean shuffle, long seed, int epoch) {
        int[] idx = order(count, shuffle, seed, epoch);
        int f = featureShape.size();
        return new Cursor() {
            private int pos;

            @Override
            public int next(Buf xb, float[] yb, int maxRows) {
                int n = Math.min(maxRows, count - pos);
                for (int r = 0; r < n; r++) {
                    int s = from + idx[pos + r];
                    xb.put(r * f, x, s * f, f);
                    if (labelWidth > 0) {
                        System.arraycopy(y, s * labelWidth, yb, r * labelWidth, labelWidth);
                    }
                }
                pos += n;
                return n;
            }
        };
    }
}
