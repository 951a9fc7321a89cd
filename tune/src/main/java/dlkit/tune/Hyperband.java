package dlkit.tune;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * Hyperband's brackets (Li et al. 2017, Algorithm 1) for a maximum of R epochs and a reduction factor η:
 * s_max = ⌊log_η R⌋; bracket s (s_max down to 0) starts n = ⌈(s_max + 1)/(s + 1) · η^s⌉ trials at r = R·η^−s epochs,
 * and its rung i keeps the best n_i = ⌊n·η^−i⌋ at r_i = r·η^i epochs — successive halving, from many short trials
 * to a few full-length ones.
 */
public final class Hyperband {
    private Hyperband() {}

    /** One round of successive halving: how many trials, at how many epochs. */
    public record Rung(int trials, int epochs) {}

    public record Bracket(int s, @NonNull List<Rung> rungs) {}

    /** ⌊log_η R⌋ in integers (no floating-point edge at exact powers). */
    static int sMax(int maxEpochs, int factor) {
        int s = 0;
        for (long p = factor; p <= maxEpochs; p *= factor) {
            s++;
        }
        return s;
    }

    public static @NonNull List<Bracket> brackets(int maxEpochs, int factor) {
        if (maxEpochs < 1 || factor < 2) {
            throw new IllegalArgumentException("Hyperband needs max_epochs ≥ 1 and factor ≥ 2, got " + maxEpochs + " and " + factor);
        }
        int sMax = sMax(maxEpochs, factor);
        List<Bracket> out = new ArrayList<>();
        for (int s = sMax; s >= 0; s--) {
            long etaS = pow(factor, s);
            int n = (int) Math.ceil((double) (sMax + 1) / (s + 1) * etaS);
            double r = (double) maxEpochs / etaS;
            List<Rung> rungs = new ArrayList<>();
            for (int i = 0; i <= s; i++) {
                int ni = (int) (n / pow(factor, i));
                int ri = (int) Math.max(1, Math.round(r * pow(factor, i)));
                rungs.add(new Rung(ni, ri));
            }
            out.add(new Bracket(s, List.copyOf(rungs)));
        }
        return out;
    }

    private static long pow(int base, int exp) {
        long p = 1;
        for (int i = 0; i < exp; i++) {
            p *= base;
        }
        return p;
    }

    /** Epochs the schedule trains when a promoted trial trains from its first epoch again. */
    public static long epochs(@NonNull List<Bracket> brackets) {
        long total = 0;
        for (Bracket b : brackets) {
            for (Rung r : b.rungs()) {
                total += (long) r.trials() * r.epochs();
            }
        }
        return total;
    }
}
