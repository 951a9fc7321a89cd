package dlkit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;

/** Per-epoch logs returned by {@link Model#fit}: {@code history.get("val_loss")}. */
public final class History implements Callback {
    private final List<Integer> epochs = new ArrayList<>();
    private final Map<String, List<Double>> values = new LinkedHashMap<>();

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        epochs.add(epoch);
        int row = epochs.size() - 1;
        for (Map.Entry<String, Double> e : logs.entrySet()) {
            List<Double> col = values.computeIfAbsent(e.getKey(), k -> new ArrayList<>(Collections.nCopies(row, Double.NaN)));
            col.add(e.getValue());
        }
    }

    /** Replaces the contents (a run resumed from a checkpoint). */
    void restore(List<Integer> epochList, Map<String, List<Double>> logs) {
        epochs.clear();
        values.clear();
        epochs.addAll(epochList);
        logs.forEach((k, v) -> values.put(k, new ArrayList<>(v)));
    }

    /** The epochs run (0-based). */
    public @NonNull List<Integer> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    public @NonNull List<String> keys() {
        return List.copyOf(values.keySet());
    }

    public @NonNull List<Double> get(@NonNull String key) {
        List<Double> v = values.get(key);
        if (v == null) {
            throw new IllegalArgumentException("no \"" + key + "\" in history; keys are " + keys());
        }
        return Collections.unmodifiableList(v);
    }

    public double last(@NonNull String key) {
        List<Double> v = get(key);
        return v.get(v.size() - 1);
    }

    public @NonNull Map<String, List<Double>> asMap() {
        Map<String, List<Double>> m = new LinkedHashMap<>();
        values.forEach((k, v) -> m.put(k, List.copyOf(v)));
        return m;
    }
}
