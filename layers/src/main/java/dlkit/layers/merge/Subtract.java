package dlkit.layers.merge;

import dlkit.layers.LayerType;
import dlkit.layers.NameConfig;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** The first input minus the second (Keras' Subtract). Inputs must share one shape. */
public final class Subtract extends ElementwiseMerge<Subtract> {
    public static final LayerType<NameConfig, NameConfig.Builder, Subtract> TYPE = new LayerType<>("Subtract", NameConfig.Builder::new, Set.of(), Subtract::new);

    public Subtract(@NonNull NameConfig config) {
        super(TYPE, config, Op.SUBTRACT);
    }

    public static @NonNull Subtract of() {
        return new Subtract(new NameConfig(null));
    }
}
