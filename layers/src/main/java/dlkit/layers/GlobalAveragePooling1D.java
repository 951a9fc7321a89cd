package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Global average pooling: each channel of a sequence [steps, channels] reduced to one value ([1, channels] with keepdims). */
public final class GlobalAveragePooling1D implements Layer {
    static final LayerRegistry.Entry<GlobalPool2D.Config> ENTRY = new LayerRegistry.Entry<>(
            "GlobalAveragePooling1D", GlobalPool2D.Config.class, new GlobalPool2D.Config(null, "channels_last", false),
            Set.of(), GlobalAveragePooling1D::new);

    private final GlobalPool2D.Config config;

    GlobalAveragePooling1D(GlobalPool2D.Config config) {
        this.config = config;
    }

    public static @NonNull GlobalAveragePooling1D of() {
        return new GlobalAveragePooling1D(new GlobalPool2D.Config(null, "channels_last", false));
    }

    public @NonNull GlobalAveragePooling1D keepdims(boolean keep) {
        return new GlobalAveragePooling1D(new GlobalPool2D.Config(config.name(), config.dataFormat(), keep));
    }

    @Override
    public String type() {
        return "GlobalAveragePooling1D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public GlobalAveragePooling1D named(String name) {
        return new GlobalAveragePooling1D(new GlobalPool2D.Config(name, config.dataFormat(), config.keepdims()));
    }

    @Override
    public Record config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        return GlobalPool2D.outputShape1d(type(), name(), config, input);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return GlobalPool2D.compile(ctx, false);
    }
}
