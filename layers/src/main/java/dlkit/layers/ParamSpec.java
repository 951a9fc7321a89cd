package dlkit.layers;

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

    public int size() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }
}
