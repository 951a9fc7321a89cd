package dlkit.layers;

import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * What every layer shares: its type, its immutable config, and changed copies made through the config's builder —
 * the one way fluent setters are written: {@code return change(b -> b.units = units);}. Two layers are equal when
 * they have the same type and config.
 */
public abstract class AbstractLayer<C extends Record & LayerConfig, B extends ConfigBuilder<C>, L extends Layer>
        implements Layer {
    private final LayerType<C, B, L> type;
    private final C config;

    protected AbstractLayer(@NonNull LayerType<C, B, L> type, @NonNull C config) {
        this.type = Objects.requireNonNull(type, "type");
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public final @NonNull String type() {
        return type.name();
    }

    @Override
    public final @Nullable String name() {
        return config.name();
    }

    @Override
    public final @NonNull C config() {
        return config;
    }

    @Override
    public final @NonNull L named(@NonNull String name) {
        return change(b -> b.name = name);
    }

    /** This layer with its config changed by {@code edit} (the record's checks run again). */
    protected final @NonNull L change(@NonNull Consumer<B> edit) {
        B b = type.builder().get();
        b.copyFrom(config);
        edit.accept(b);
        return type.create(b.build());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AbstractLayer<?, ?, ?> l && l.type.name().equals(type.name()) && l.config.equals(config);
    }

    @Override
    public int hashCode() {
        return type.name().hashCode() * 31 + config.hashCode();
    }

    @Override
    public String toString() {
        return type.name() + "[" + config + "]";
    }
}
