package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Global max pooling: each channel of a channels-last image reduced to one value. */
public final class GlobalMaxPooling2D implements Layer {
    static final LayerRegistry.Entry<GlobalPool2D.Config> ENTRY = new LayerRegistry.Entry<>(
            "GlobalMaxPooling2D", GlobalPool2D.Config.class, new GlobalPool2D.Config(null, "channels_last", false),
            Set.of(), GlobalMaxPooling2D::new);

    private final GlobalPool2D.Config config;

    GlobalMaxPooling2D(GlobalPool2D.Config config) {
        this.config = config;
    }

    public static @NonNull GlobalMaxPooling2D of() {
        return new GlobalMaxPooling2D(new GlobalPool2D.Config(null, "channels_last", false));
    }

    public @NonNull GlobalMaxPooling2D keepdims(boolean keep) {
        return new GlobalMaxPooling2D(new GlobalPool2D.Config(config.name(), config.dataFormat(), keep));
    }

    @Override
    public String type() {
        return "GlobalMaxPooling2D";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public GlobalMaxPooling2D named(String name) {
        return new GlobalMaxPooling2D(new GlobalPool2D.Config(name, config.dataFormat(), config.keepdims()));
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
        return GlobalPool2D.compile(ctx, true);
    }
}
