package dlkit.callbacks;

import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.NonNull;

/**
 * Keras-style progress: {@code Epoch 3/10} then a live bar with steps, elapsed time, ETA, loss and metrics, redrawn
 * at most ten times a second; without a terminal (logs, CI) only the end-of-epoch line is printed.
 */
public final class ProgressBar implements Callback {
    private final PrintStream out;
    private final boolean live;
    private long epochStart;
    private long lastDraw;
    /** The width of the line on screen now: a shorter redraw is padded over it (\r alone would leave stale digits). */
    private int drawn;

    public ProgressBar(@NonNull PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
    }

    /** To standard output, live when it is a terminal. */
    public static @NonNull ProgressBar toStdout() {
        return new ProgressBar(System.out, System.console() != null);
    }

    @Override
    public void onEpochBegin(int epoch, TrainingState state) {
        epochBegin(epoch, state.epochs());
    }

    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        batchEnd(batch, state.stepsPerEpoch(), logs);
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        epochEnd(state.stepsPerEpoch(), logs);
    }

    // The same display driven by events from elsewhere (a distributed run's driver shows its workers' progress).

    /** Epoch {@code epoch} (from 0) of {@code epochs} begins. */
    public void epochBegin(int epoch, int epochs) {
        out.printf(Locale.ROOT, "Epoch %d/%d%n", epoch + 1, epochs);
        epochStart = System.nanoTime();
        lastDraw = 0;
        drawn = 0;
    }

    /** Batch {@code batch} (from 0) of {@code steps} (negative: unknown) ended with these running logs. */
    public void batchEnd(long batch, long steps, @NonNull Map<String, Double> logs) {
        long now = System.nanoTime();
        if (!live || now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        out.print("\r" + over(line(batch + 1, steps, now, logs, false)));
        out.flush();
    }

    /** The epoch of {@code steps} batches ended with these logs. */
    public void epochEnd(long steps, @NonNull Map<String, Double> logs) {
        String last = line(steps, steps, System.nanoTime(), logs, true);
        out.print((live ? "\r" + over(last) : last) + "\n");
        out.flush();
    }

    /** {@code line} padded with spaces to cover what is on screen. */
    String over(String line) {
        String padded = line.length() < drawn ? line + " ".repeat(drawn - line.length()) : line;
        drawn = line.length();
        return padded;
    }

    String line(long step, long steps, long now, Map<String, Double> logs, boolean done) {
        double elapsed = (now - epochStart) / 1e9;
        StringBuilder sb = new StringBuilder();
        if (steps > 0) {
            int width = 20;
            int filled = (int) Math.min(width, width * step / steps);
            sb.append(String.format(Locale.ROOT, "%" + Long.toString(steps).length() + "d/%d ", step, steps));
            sb.append("━".repeat(filled)).append(filled < width ? "─".repeat(width - filled) : "");
        } else {
            sb.append(step).append(" steps");
        }
        if (done || steps <= 0) {
            sb.append(String.format(Locale.ROOT, " %s %s/step", time(elapsed), stepTime(elapsed / Math.max(1, step))));
        } else {
            sb.append(String.format(Locale.ROOT, " %s ETA %s", time(elapsed), time(elapsed / step * (steps - step))));
        }
        for (Map.Entry<String, Double> e : logs.entrySet()) {
            sb.append(" - ").append(e.getKey()).append(": ").append(String.format(Locale.ROOT, "%.4f", e.getValue()));
        }
        return sb.toString();
    }

    private static String time(double s) {
        return s < 60 ? String.format(Locale.ROOT, "%ds", (int) Math.round(s)) : String.format(Locale.ROOT, "%dm%02ds", (int) s / 60, (int) s % 60);
    }

    private static String stepTime(double s) {
        return s < 1e-3 ? String.format(Locale.ROOT, "%dus", Math.round(s * 1e6)) : String.format(Locale.ROOT, "%dms", Math.round(s * 1e3));
    }
}
