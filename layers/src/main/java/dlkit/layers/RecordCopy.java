package dlkit.layers;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * A copy of a config record with one component changed, through its canonical constructor (so the record's checks
 * run again). For layers whose configs have many components and one fluent setter each (the recurrent layers).
 */
final class RecordCopy {
    private RecordCopy() {}

    static <R extends Record> R with(R record, String component, Object value) {
        @SuppressWarnings("unchecked")
        Class<R> type = (Class<R>) record.getClass();
        RecordComponent[] comps = type.getRecordComponents();
        Object[] values = new Object[comps.length];
        boolean found = false;
        try {
            for (int i = 0; i < comps.length; i++) {
                boolean target = comps[i].getName().equals(component);
                found |= target;
                values[i] = target ? value : comps[i].getAccessor().invoke(record);
            }
            if (!found) {
                throw new IllegalStateException(type.getSimpleName() + " has no component " + component);
            }
            Class<?>[] types = Arrays.stream(comps).map(RecordComponent::getType).toArray(Class<?>[]::new);
            return type.getDeclaredConstructor(types).newInstance(values);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
