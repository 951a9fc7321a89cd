package dlkit.data;

import dlkit.DlkitException;
import dlkit.files.InputFiles;
import dlkit.tensor.Shape;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * Character windows cut from text files, labelled by the file they come from: a token-level sequence
 * classification set ("which document is this snippet from?") from any texts, e.g. the licences every Debian system
 * carries in {@code /usr/share/common-licenses}. Each window is {@code window} character codes (bytes 0–127; other
 * bytes map to 0), taken every {@code stride} characters. The first {@code 1 − test_fraction} of every file gives
 * the train split and the rest the test split, so no test window overlaps a training one.
 */
public final class TextWindows {
    /** Character codes are below this: the Embedding's input_dim. */
    public static final int VOCABULARY = 128;

    private TextWindows() {}

    public static @NonNull ArrayDataset load(@NonNull List<Path> files, int window, int stride, double testFraction, boolean test) {
        if (files.size() < 2) {
            throw new IllegalArgumentException("files: expected at least two text files (one class each), got " + files.size());
        }
        if (window < 1 || stride < 1) {
            throw new IllegalArgumentException("window and stride: expected positive integers, got " + window + " and " + stride);
        }
        if (!(testFraction > 0 && testFraction < 1)) {
            throw new IllegalArgumentException("test_fraction: expected a number in (0, 1), got " + testFraction);
        }
        byte[][] texts = new byte[files.size()][];
        int total = 0;
        for (int c = 0; c < files.size(); c++) {
            texts[c] = InputFiles.readAll(files.get(c), Integer.MAX_VALUE - 8, "text file");
            int[] range = range(texts[c].length, testFraction, test);
            int count = windows(range[1] - range[0], window, stride);
            if (count == 0) {
                throw new DlkitException(files.get(c) + ": its " + (test ? "test" : "train") + " part (" + (range[1] - range[0])
                        + " bytes) is shorter than one window of " + window + " characters");
            }
            total += count;
        }
        float[] x = new float[total * window];
        float[] y = new float[total];
        int s = 0;
        for (int c = 0; c < texts.length; c++) {
            int[] range = range(texts[c].length, testFraction, test);
            int count = windows(range[1] - range[0], window, stride);
            for (int w = 0; w < count; w++, s++) {
                int start = range[0] + w * stride;
                for (int i = 0; i < window; i++) {
                    int b = texts[c][start + i] & 0xFF;
                    x[s * window + i] = b < VOCABULARY ? b : 0;
                }
                y[s] = c;
            }
        }
        return new ArrayDataset(x, Shape.of(window), y, 1);
    }

    private static int[] range(int length, double testFraction, boolean test) {
        int cut = (int) Math.round(length * (1 - testFraction));
        return test ? new int[] {cut, length} : new int[] {0, cut};
    }

    private static int windows(int length, int window, int stride) {
        return length < window ? 0 : (length - window) / stride + 1;
    }

}
