package dlkit.layers.merge;

import dlkit.layers.LayerType;
import dlkit.layers.NameConfig;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** The element-wise mean of its inputs (Keras' Average), e.g. for ensembling branches. Inputs must share one shape. */
public final class Average extends ElementwiseMerge<Average> {
    public static final LayerType<NameConfig, NameConfig.Builder, Average> TYPE = new LayerType<>("Average", NameConfig.Builder::new, Set.of(), Average::new);

    public Average(@NonNull NameConfig config) {
        super(TYPE, config, Op.AVERAGE);
    }

    public static @NonNull Average of() {
        return new Average(new NameConfig(null));
    }
}
