package dlkit.metrics;

import org.jspecify.annotations.NonNull;

/** Counts of (true class, predicted class); per-class and macro precision, recall and F1. */
public final class ConfusionMatrix {
    private final long[][] counts;

    public ConfusionMatrix(int classes) {
        if (classes < 2) {
            throw new IllegalArgumentException("a confusion matrix needs at least 2 classes, got " + classes);
        }
        counts = new long[classes][classes];
    }

    public int classes() {
        return counts.length;
    }

    public void reset() {
        for (long[] row : counts) {
            java.util.Arrays.fill(row, 0);
        }
    }

    public void add(int trueClass, int predictedClass) {
        counts[trueClass][predictedClass]++;
    }

    public void add(int trueClass, int predictedClass, long times) {
        counts[trueClass][predictedClass] += times;
    }

    /** Samples of class {@code trueClass} predicted as {@code predictedClass}. */
    public long count(int trueClass, int predictedClass) {
        return counts[trueClass][predictedClass];
    }

    public long total() {
        long t = 0;
        for (long[] row : counts) {
            for (long v : row) {
                t += v;
            }
        }
        return t;
    }

    public double accuracy() {
        long correct = 0;
        for (int c = 0; c < counts.length; c++) {
            correct += counts[c][c];
        }
        long t = total();
        return t == 0 ? 0 : (double) correct / t;
    }

    /** tp / (tp + fp); 0 when the class was never predicted (Keras' convention). */
    public double precision(int c) {
        long predicted = 0;
        for (long[] row : counts) {
            predicted += row[c];
        }
        return predicted == 0 ? 0 : (double) counts[c][c] / predicted;
    }

    public double recall(int c) {
        long actual = 0;
        for (long v : counts[c]) {
            actual += v;
        }
        return actual == 0 ? 0 : (double) counts[c][c] / actual;
    }

    public double f1(int c) {
        double p = precision(c);
        double r = recall(c);
        return p + r == 0 ? 0 : 2 * p * r / (p + r);
    }

    public double macroPrecision() {
        double s = 0;
        for (int c = 0; c < counts.length; c++) {
            s += precision(c);
        }
        return s / counts.length;
    }

    public double macroRecall() {
        double s = 0;
        for (int c = 0; c < counts.length; c++) {
            s += recall(c);
        }
        return s / counts.length;
    }

    public double macroF1() {
        double s = 0;
        for (int c = 0; c < counts.length; c++) {
            s += f1(c);
        }
        return s / counts.length;
    }

    /** Rows are true classes, columns predicted ones, then per-class precision, recall and F1. */
    @Override
    public @NonNull String toString() {
        StringBuilder sb = new StringBuilder("true\\pred");
        for (int c = 0; c < counts.length; c++) {
            sb.append(String.format("%7d", c));
        }
        sb.append("   precision  recall      f1\n");
        for (int r = 0; r < counts.length; r++) {
            sb.append(String.format("%9d", r));
            for (int c = 0; c < counts.length; c++) {
                sb.append(String.format("%7d", counts[r][c]));
            }
            sb.append(String.format("   %9.4f %7.4f %7.4f%n", precision(r), recall(r), f1(r)));
        }
        sb.append(String.format("macro: precision %.4f, recall %.4f, f1 %.4f; accuracy %.4f%n", macroPrecision(), macroRecall(), macroF1(), accuracy()));
        return sb.toString();
    }
}
