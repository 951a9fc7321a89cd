package dlkit.layers.reshaping;

import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.LayerType;
import dlkit.layers.NameConfig;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** Flattens each sample to one axis. Row-major storage makes it free: the output is the input's memory. */
public final class Flatten extends AbstractLayer<NameConfig, NameConfig.Builder, Flatten> {
    public static final LayerType<NameConfig, NameConfig.Builder, Flatten> TYPE = new LayerType<>("Flatten", NameConfig.Builder::new, Set.of(),
            Flatten::new);

    public Flatten(@NonNull NameConfig config) {
        super(TYPE, config);
    }

    public static @NonNull Flatten of() {
        return new Flatten(new NameConfig(null));
    }

    @Override
    public Shape outputShape(Shape input) {
        return Shape.of(input.size());
    }

    @Override
    public boolean aliasesInput() {
        return true;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Kernel.NONE;
    }
}
