package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;

/**
 * The tree-structured Parzen estimator (Bergstra et al. 2011), with Optuna's defaults: after {@code startup} random
 * trials, the finished ones are split into the best γ(n) = min(⌈0.1·n⌉, 25) and the rest; each setting gets two
 * densities — l(x) over the best, g(x) over the rest: truncated Gaussians at the observed values, with bandwidths
 * from the distances to their neighbours (Bergstra's rule, clipped), plus a prior over the whole range — and of 24
 * candidates drawn from l the one with the largest l(x)/g(x) is taken. Choices use counts plus a prior of one each.
 * Settings are modelled independently (univariate TPE); log_uniform in log space.
 */
public final class TpeSampler implements Sampler {
    static final int CANDIDATES = 24;
    private final boolean maximize;
    private final int startup;

    public TpeSampler(boolean maximize, int startup) {
        this.maximize = maximize;
        this.startup = startup;
    }

    static int gamma(int n) {
        return Math.min((int) Math.ceil(0.1 * n), 25);
    }

    @Override
    public @NonNull Map<String, JsonNode> sample(@NonNull SearchSpace space, @NonNull List<Trial> trials, int number, @NonNull SplittableRandom random) {
        List<Trial> done = new ArrayList<>();
        for (Trial t : trials) {
            if (t.state() == Trial.State.COMPLETE && t.value() != null) {
                done.add(t);
            }
        }
        if (done.size() < startup) {
            return RANDOM.sample(space, trials, number, random);
        }
        Comparator<Trial> best = Comparator.comparingDouble(t -> maximize ? -t.value() : t.value());
        done.sort(best);
        int nBelow = Math.max(1, gamma(done.size()));
        List<Trial> below = done.subList(0, nBelow);
        List<Trial> above = done.subList(nBelow, done.size());
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (Map.Entry<String, Distribution> e : space.params().entrySet()) {
            String path = e.getKey();
            if (e.getValue() instanceof Distribution.Numeric d) {
                Parzen l = Parzen.of(values(below, path, d), d.low(), d.high());
                Parzen g = Parzen.of(values(above, path, d), d.low(), d.high());
                double bestX = 0;
                double bestScore = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < CANDIDATES; c++) {
                    double x = l.sample(random);
                    double score = l.logPdf(x) - g.logPdf(x);
                    if (score > bestScore) {
                        bestScore = score;
                        bestX = x;
                    }
                }
                out.put(path, d.external(bestX));
            } else {
                Distribution.Choice d = (Distribution.Choice) e.getValue();
                double[] l = counts(below, path, d);
                double[] g = counts(above, path, d);
                int bestK = 0;
                double bestScore = Double.NEGATIVE_INFINITY;
                for (int c = 0; c < CANDIDATES; c++) {
                    int k = draw(l, random);
                    double score = Math.log(l[k]) - Math.log(g[k]);
                    if (score > bestScore) {
                        bestScore = score;
                        bestK = k;
                    }
                }
                out.put(path, d.values().get(bestK));
            }
        }
        return out;
    }

    private static double[] values(List<Trial> trials, String path, Distribution.Numeric d) {
        List<Double> v = new ArrayList<>();
        for (Trial t : trials) {
            JsonNode x = t.params().get(path);
            if (x != null && x.isNumber()) {
                v.add(d.internal(x));
            }
        }
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Normalised weights over the choices: counts plus a prior of one each. */
    private static double[] counts(List<Trial> trials, String path, Distribution.Choice d) {
        double[] w = new double[d.values().size()];
        java.util.Arrays.fill(w, 1.0);
        for (Trial t : trials) {
            int k = t.params().get(path) == null ? -1 : d.index(t.params().get(path));
            if (k >= 0) {
                w[k] += 1;
            }
        }
        double sum = java.util.Arrays.stream(w).sum();
        for (int i = 0; i < w.length; i++) {
            w[i] /= sum;
        }
        return w;
    }

    private static int draw(double[] weights, SplittableRandom random) {
        double u = random.nextDouble();
        for (int i = 0; i < weights.length; i++) {
            u -= weights[i];
            if (u <= 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /** A mixture of Gaussians truncated to [low, high]: one per observation and the prior (centre, width of the range). */
    record Parzen(double[] mu, double[] sigma, double low, double high) {
        static Parzen of(double[] observed, double low, double high) {
            int n = observed.length;
            double[] mu = new double[n + 1];
            System.arraycopy(observed, 0, mu, 0, n);
            mu[n] = 0.5 * (low + high);
            double[] sorted = mu.clone();
            java.util.Arrays.sort(sorted);
            double range = high - low;
            double minSigma = range / Math.min(100.0, 1.0 + n);
            double[] sigma = new double[n + 1];
            for (int i = 0; i <= n; i++) {
                if (i == n) {
                    sigma[i] = range;
                    continue;
                }
                int at = java.util.Arrays.binarySearch(sorted, mu[i]);
                double left = at > 0 ? sorted[at] - sorted[at - 1] : mu[i] - low;
                double right = at < n ? sorted[at + 1] - sorted[at] : high - mu[i];
                sigma[i] = Math.max(minSigma, Math.min(range, Math.max(left, right)));
            }
            return new Parzen(mu, sigma, low, high);
        }

        double sample(SplittableRandom random) {
            int k = random.nextInt(mu.length);
            for (int tries = 0; tries < 100; tries++) {
                double x = mu[k] + sigma[k] * gaussian(random);
                if (x >= low && x <= high) {
                    return x;
                }
            }
            return Math.max(low, Math.min(high, mu[k]));
        }

        double logPdf(double x) {
            double p = 0;
            for (int k = 0; k < mu.length; k++) {
                double mass = phi((high - mu[k]) / sigma[k]) - phi((low - mu[k]) / sigma[k]);
                double z = (x - mu[k]) / sigma[k];
                p += Math.exp(-0.5 * z * z) / (sigma[k] * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
            }
            return Math.log(p / mu.length + 1e-300);
        }

        private static double gaussian(SplittableRandom r) {
            // Box–Muller: SplittableRandom has no nextGaussian on Java 17.
            double u = 1 - r.nextDouble();
            return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.nextDouble());
        }

        /** The standard normal CDF (Abramowitz–Stegun 7.1.26 through erf; 1.5e-7 absolute). */
        static double phi(double z) {
            double x = Math.abs(z) / Math.sqrt(2);
            double t = 1 / (1 + 0.3275911 * x);
            double erf = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
            return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
        }
    }
}
