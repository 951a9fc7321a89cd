package dlkit.tune;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * Optuna's MedianPruner: after {@code startup} finished trials, a trial stops at an epoch where the best objective it
 * has reached so far is worse than the median of the other finished trials' objectives at that same epoch.
 */
public final class MedianPruner {
    private final boolean maximize;
    private final int startup;
    private final int warmup;

    /** Optuna's defaults: 5 startup trials, no warm-up epochs. */
    public MedianPruner(boolean maximize) {
        this(maximize, 5, 0);
    }

    public MedianPruner(boolean maximize, int startup, int warmup) {
        this.maximize = maximize;
        this.startup = startup;
        this.warmup = warmup;
    }

    /** Should a trial whose objective after each epoch so far is {@code history} stop after epoch {@code history.size()}? */
    public boolean prune(@NonNull List<Double> history, @NonNull List<Trial> trials) {
        int epoch = history.size();
        if (epoch <= warmup) {
            return false;
        }
        List<Double> others = new ArrayList<>();
        int finished = 0;
        for (Trial t : trials) {
            if (t.state() == Trial.State.COMPLETE || t.state() == Trial.State.PRUNED) {
                finished++;
                if (t.history().size() >= epoch) {
                    others.add(t.history().get(epoch - 1));
                }
            }
        }
        if (finished < startup || others.isEmpty()) {
            return false;
        }
        double best = maximize ? history.stream().mapToDouble(Double::doubleValue).max().orElseThrow()
                : history.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double median = median(others);
        return maximize ? best < median : best > median;
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }
}
