package dlkit.layers;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * The mutable form of a layer config: one public field per record component, of the same name and type, holding
 * Keras' defaults until set. It is the one way a config is changed: {@link AbstractLayer} fills a builder from the
 * config, a fluent setter sets a field ({@code b.units = 5}), and {@link #build()} runs the record's checks again.
 * The copy in and out goes by the components, so a builder declares its fields and nothing else.
 */
public abstract class ConfigBuilder<C extends Record & LayerConfig> {
    public @Nullable String name;
    private final Class<C> type;

    protected ConfigBuilder(@NonNull Class<C> type) {
        this.type = type;
    }

    /** The record type this builds. */
    public final @NonNull Class<C> configClass() {
        return type;
    }

    /** Takes every value of {@code config}. */
    public final void copyFrom(@NonNull C config) {
        Layout layout = LAYOUT.get(getClass());
        try {
            for (int i = 0; i < layout.accessors.length; i++) {
                layout.fields[i].set(this, layout.accessors[i].invoke(config));
            }
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException(getClass().getName() + " cannot copy " + config, e);
        }
    }

    /** The record, checked by its constructor (whose IllegalArgumentException names the key that is wrong). */
    public final @NonNull C build() {
        Layout layout = LAYOUT.get(getClass());
        Object[] values = new Object[layout.fields.length];
        try {
            for (int i = 0; i < values.length; i++) {
                values[i] = layout.fields[i].get(this);
            }
            return type.cast(layout.constructor.newInstance(values));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(getClass().getName() + " cannot build a " + type.getName(), e);
        }
    }

    /** A builder class's fields in the order of its record's components, the accessors and the canonical constructor. */
    private record Layout(Field[] fields, Method[] accessors, Constructor<?> constructor) {}

    private static final ClassValue<Layout> LAYOUT = new ClassValue<>() {
        @Override
        protected Layout computeValue(Class<?> builder) {
            Class<?> record = recordOf(builder);
            RecordComponent[] components = record.getRecordComponents();
            Map<String, Field> fields = Arrays.stream(builder.getFields()).collect(Collectors.toMap(Field::getName, Function.identity()));
            Field[] ordered = new Field[components.length];
            for (int i = 0; i < components.length; i++) {
                Field f = fields.get(components[i].getName());
                if (f == null || !f.getType().equals(components[i].getType())) {
                    throw new IllegalStateException(builder.getName() + " needs a public field " + components[i].getType().getSimpleName() + " "
                            + components[i].getName() + " for the component of " + record.getName());
                }
                ordered[i] = f;
            }
            if (fields.size() != components.length) {
                throw new IllegalStateException(builder.getName() + " has fields that are not components of " + record.getName() + ": "
                        + fields.keySet());
            }
            try {
                Constructor<?> ctor = record.getDeclaredConstructor(Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
                return new Layout(ordered, Arrays.stream(components).map(RecordComponent::getAccessor).toArray(Method[]::new), ctor);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(record.getName() + " has no canonical constructor", e);
            }
        }
    };

    /** The record a builder class builds, read off an instance (builders take it in their constructor). */
    private static Class<?> recordOf(Class<?> builder) {
        try {
            return ((ConfigBuilder<?>) builder.getDeclaredConstructor().newInstance()).type;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(builder.getName() + " needs a public no-argument constructor", e);
        }
    }
}
