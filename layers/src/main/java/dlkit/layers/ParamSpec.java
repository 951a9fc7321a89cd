package dlkit.layers;

import dlkit.ResourceException;
import dlkit.tensor.Memory;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A weight a layer declares: its name within the layer ({@code kernel}), shape, initializer and penalty. A
 * non-trainable weight (BatchNormalization's moving statistics) is saved with the model but has no gradient: the
 * layer's kernel updates it itself during training.
 */
public record ParamSpec(@NonNull String name, int @NonNull [] shape, @NonNull Initializer initializer, @Nullable Regularizer regularizer,
                        boolean trainable) {
    public ParamSpec(@NonNull String name, int @NonNull [] shape, @NonNull Initializer initializer, @Nullable Regularizer regularizer) {
        this(name, shape, initializer, regularizer, true);
    }

    public ParamSpec {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("weight " + name + ": negative dimension in " + java.util.Arrays.toString(shape));
            }
        }
    }

    /** The element count, exact; -1 when it does not fit a long (see {@link Memory#product}). */
    public long elements() {
        return Memory.product(java.util.Arrays.stream(shape).asLongStream().toArray());
    }

    /** The element count of a weight that exists (the model checked every count fits an int when it was built). */
    public int size() {
        long n = elements();
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new ResourceException("weight " + name + " " + java.util.Arrays.toString(shape) + " has more than 2^31 elements");
        }
        return (int) n;
    }
}
