package dlkit.tensor;

import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.NonNull;

/** The shape of one sample, without the batch axis (Keras' {@code input_shape}); immutable. */
public final class Shape {
    private final int[] dims;

    private Shape(int[] dims) {
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("shape dimensions must be positive, got " + Arrays.toString(dims));
            }
        }
        this.dims = dims;
    }

    public static @NonNull Shape of(int... dims) {
        if (dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension");
        }
        return new Shape(dims.clone());
    }

    /** From a config's list of dimensions. */
    public static @NonNull Shape of(@NonNull List<Integer> dims) {
        return of(dims.stream().mapToInt(Integer::intValue).toArray());
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis];
    }

    public int @NonNull [] dims() {
        return dims.clone();
    }

    /** The dimensions as a config holds them. */
    public @NonNull List<Integer> dimList() {
        return Arrays.stream(dims).boxed().toList();
    }

    /** Elements per sample. */
    public int size() {
        long n = 1;
        for (int d : dims) {
            n *= d;
        }
        if (n > Integer.MAX_VALUE) {
            throw new dlkit.ShapeException("shape " + this + " has " + String.format("%,d", n) + " elements per sample; at most 2,147,483,647 are supported");
        }
        return (int) n;
    }

    public int last() {
        return dims[dims.length - 1];
    }

    /** Keras-style, with the batch axis: {@code (None, 28, 28)}. */
    public @NonNull String withBatch() {
        StringBuilder sb = new StringBuilder("(None");
        for (int d : dims) {
            sb.append(", ").append(d);
        }
        return sb.append(')').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
