package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Global average pooling: each channel of a channels-last image reduced to one value. */
public final class GlobalAveragePooling2D implements Layer {
    static final LayerRegistry.Entry<GlobalPool2D.Config> ENTRY = new LayerRegistry.Entry<>(
            "GlobalAveragePooling2D", GlobalPool2D.Config.class, new GlobalPool2D.Config(null, "channels_last", false),
            Set.of(), GlobalAveragePooling2D::new);

    private final GlobalPool2D.Config config;

    GlobalAveragePooling2D(GlobalPool2D.Config config) {
        this.config = config;
    }

    public static @NonNull GlobalAveragePooling2D of() {
        return new GlobalAveragePooling2D(new GlobalPool2D.Config(null, "channels_last", false));
    }

    public @NonNull GlobalAveragePooling2D keepdims(boolean keep) {
        return new GlobalAveragePooling2D(new GlobalPool2D.Config(config.name(), config.dataFormat(), keep));
    }

    @Override
    public String type() {
        return "GlobalAveragePooling2D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public GlobalAveragePooling2D named(String name) {
        return new GlobalAveragePooling2D(new GlobalPool2D.Config(name, config.dataFormat(), config.keepdims()));
    }

    @Override
    public Record config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        return GlobalPool2D.outputShape(type(), name(), config, input);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return GlobalPool2D.compile(ctx, false);
    }
}
