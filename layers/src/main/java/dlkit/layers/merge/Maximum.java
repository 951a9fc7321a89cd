package dlkit.layers.merge;

import dlkit.layers.LayerType;
import dlkit.layers.NameConfig;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** The element-wise maximum of its inputs (Keras' Maximum); the gradient flows to the first input that holds it. Inputs must share one shape. */
public final class Maximum extends ElementwiseMerge<Maximum> {
    public static final LayerType<NameConfig, NameConfig.Builder, Maximum> TYPE = new LayerType<>("Maximum", NameConfig.Builder::new, Set.of(), Maximum::new);

    public Maximum(@NonNull NameConfig config) {
        super(TYPE, config, Op.MAXIMUM);
    }

    public static @NonNull Maximum of() {
        return new Maximum(new NameConfig(null));
    }
}
