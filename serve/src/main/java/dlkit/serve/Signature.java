package dlkit.serve;

import dlkit.model.Model;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;

/** A served model's inputs and outputs: names and per-sample shapes, in the model's order. */
record Signature(List<String> inputs, List<int[]> inputShapes, List<String> outputs, List<int[]> outputShapes) {
    static Signature of(Model m) {
        return new Signature(m.inputNames(), m.inputShapes().stream().map(Shape::dims).toList(), m.outputNames(),
                m.outputShapes().stream().map(Shape::dims).toList());
    }

    int outputSize(int o) {
        return size(outputShapes.get(o));
    }

    static int size(int[] shape) {
        int s = 1;
        for (int d : shape) {
            s *= d;
        }
        return s;
    }

    /** {@code [n, d1, d2, …]} as a message shows an expected batch shape. */
    static String batchShape(int[] sample) {
        StringBuilder sb = new StringBuilder("[n");
        for (int d : sample) {
            sb.append(", ").append(d);
        }
        return sb.append(']').toString();
    }

    /** The shape with the batch axis in front. */
    static int[] withBatch(int n, int[] sample) {
        int[] s = new int[sample.length + 1];
        s[0] = n;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    /** Whether {@code got} is {@code [n, sample...]} for some n ≥ 1. */
    static boolean isBatchOf(int[] got, int[] sample) {
        return got.length == sample.length + 1 && got[0] >= 1 && Arrays.equals(got, 1, got.length, sample, 0, sample.length);
    }
}
