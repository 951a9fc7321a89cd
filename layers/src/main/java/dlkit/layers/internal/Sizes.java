package dlkit.layers.internal;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Checks shared by the layer families: Keras' size tuples in configs, and the sample ranks layers take. */
public final class Sizes {
    private Sizes() {}

    /** Keras' int-or-pair for the two image axes: {@code [n]} for both or {@code [height, width]}, positive. */
    public static List<Integer> pair(String key, @Nullable List<Integer> v) {
        if (v == null || (v.size() != 1 && v.size() != 2) || Sizes.hasNull(v)) {
            throw new IllegalArgumentException(key + ": expected one or two positive integers, got " + v);
        }
        List<Integer> p = v.size() == 1 ? List.of(v.get(0), v.get(0)) : List.copyOf(v);
        if (p.get(0) < 1 || p.get(1) < 1) {
            throw new IllegalArgumentException(key + ": expected positive integers, got " + v);
        }
        return p;
    }

    /** True when {@code v} holds a null (a JSON list such as [3, null]); immutable lists cannot be asked directly. */
    public static boolean hasNull(List<?> v) {
        return v.stream().anyMatch(java.util.Objects::isNull);
    }

    /** The one-element lists of the 1-D layers ({@code kernel_size: [3]}). */
    public static List<Integer> single(String key, @Nullable List<Integer> v) {
        if (v == null || v.size() != 1 || v.get(0) == null || v.get(0) < 1) {
            throw new IllegalArgumentException(key + ": expected one positive integer in a list, e.g. [3], got " + v);
        }
        return List.copyOf(v);
    }

    public static int[] ints(List<Integer> v) {
        return v.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Raises the usual error unless samples are images {@code [height, width, channels]}. */
    public static void requireImage(String type, @Nullable String name, Shape input) {
        if (input.rank() != 3) {
            throw new ShapeException(type + " '" + name + "' expects samples shaped [height, width, channels], got " + input);
        }
    }

    /** Raises the usual error unless samples are sequences {@code [steps, channels]}. */
    public static void requireSequence(String type, @Nullable String name, Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException(type + " '" + name + "' expects samples shaped [steps, channels], got " + input);
        }
    }
}
