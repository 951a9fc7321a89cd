package dlkit.layers.merge;

import dlkit.layers.LayerType;
import dlkit.layers.NameConfig;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** The element-wise product of its inputs (Keras' Multiply), e.g. for gating. Inputs must share one shape. */
public final class Multiply extends ElementwiseMerge<Multiply> {
    public static final LayerType<NameConfig, NameConfig.Builder, Multiply> TYPE = new LayerType<>("Multiply", NameConfig.Builder::new, Set.of(), Multiply::new);

    public Multiply(@NonNull NameConfig config) {
        super(TYPE, config, Op.MULTIPLY);
    }

    public static @NonNull Multiply of() {
        return new Multiply(new NameConfig(null));
    }
}
