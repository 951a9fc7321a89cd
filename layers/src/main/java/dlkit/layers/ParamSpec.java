package dlkit.layers;

import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** A weight a layer declares: its name within the layer ({@code kernel}), shape, initializer and penalty. */
public record ParamSpec(@NonNull String name, int @NonNull [] shape, @NonNull Initializer initializer, @Nullable Regularizer regularizer) {
    public int size() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }
}
