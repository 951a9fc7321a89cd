package dlkit.callbacks;

import dlkit.DlkitException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A logged quantity to watch and which way is better, as Keras' {@code monitor}/{@code mode}/{@code min_delta}. */
final class Monitor {
    static final List<String> MODES = List.of("auto", "min", "max");
    private static final List<String> HIGHER_IS_BETTER = List.of("accuracy", "acc", "auc", "precision", "recall", "f1_score");

    final String key;
    final String mode;
    final boolean maximize;
    final double minDelta;

    Monitor(String key, String mode, double minDelta) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("monitor: expected a log name such as \"val_loss\"");
        }
        if (!MODES.contains(mode)) {
            throw new IllegalArgumentException("mode: expected one of " + MODES + ", got \"" + mode + "\"");
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new IllegalArgumentException("min_delta: expected a finite number >= 0, got " + minDelta);
        }
        this.key = key;
        this.mode = mode;
        this.minDelta = minDelta;
        String base = key.startsWith("val_") ? key.substring(4) : key;
        this.maximize = mode.equals("max") || mode.equals("auto") && HIGHER_IS_BETTER.stream().anyMatch(base::startsWith);
    }

    /** The worst possible value: anything finite improves on it. */
    double worst() {
        return maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** True when {@code current} beats {@code reference} by more than min_delta. */
    boolean improves(double current, double reference) {
        return maximize ? current - minDelta > reference : current + minDelta < reference;
    }

    /** The monitored value; a name that is not logged is a mistake in the setup, reported with what is logged. */
    double read(Map<String, Double> logs, String who) {
        Double v = logs.get(key);
        if (v == null) {
            throw new DlkitException(who + ": monitor \"" + key + "\" is not among the logged values " + logs.keySet()
                    + (key.startsWith("val_") ? " (val_* values need validation data or validation_split)" : ""));
        }
        return v;
    }

    String describe(double v) {
        return String.format(Locale.ROOT, "%s=%.5g", key, v);
    }
}
