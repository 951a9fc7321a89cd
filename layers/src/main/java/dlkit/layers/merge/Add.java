package dlkit.layers.merge;

import dlkit.layers.LayerType;
import dlkit.layers.NameConfig;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Sums its inputs element by element (Keras' Add): the residual connection of a ResNet. Inputs must share one shape. */
public final class Add extends ElementwiseMerge<Add> {
    public static final LayerType<NameConfig, NameConfig.Builder, Add> TYPE = new LayerType<>("Add", NameConfig.Builder::new, Set.of(), Add::new);

    public Add(@NonNull NameConfig config) {
        super(TYPE, config, Op.ADD);
    }

    public static @NonNull Add of() {
        return new Add(new NameConfig(null));
    }
}
