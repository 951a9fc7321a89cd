package dlkit.spark;

import dlkit.ConfigException;
import dlkit.model.GradientExchange;
import java.io.Serializable;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * How the replicas keep in step. {@code allreduce}: the gradients are averaged every step, so N workers train exactly
 * the model one trains at N times the batch. For slow networks, two schemes that exchange the weights every
 * {@code every} steps instead and let the replicas train on their own in between: {@code average} (parameter
 * averaging: every replica takes the mean of all) and {@code easgd} (synchronous Elastic Averaging SGD, Zhang,
 * Choromanska and LeCun 2015: every replica is pulled toward a centre variable by α = β/N of its distance, and the
 * centre moves by α times the sum of the distances; the centre is the trained model). In both, each replica keeps its
 * own optimizer moments.
 */
public record Synchronization(@NonNull String mode, int every, double beta) implements Serializable {
    public static final List<String> MODES = dlkit.run.RunConfig.DistributedConfig.SYNC;

    public Synchronization {
        if (!MODES.contains(mode)) {
            throw new ConfigException("distributed.sync", "expected one of " + MODES + ", got \"" + mode + "\"");
        }
        if (every < 1) {
            throw new ConfigException("distributed.every", "expected a positive number of steps, got " + every);
        }
        if (!(beta > 0 && beta < 1)) {
            throw new ConfigException("distributed.beta", "expected EASGD's moving rate β in (0, 1), got " + beta);
        }
    }

    public static @NonNull Synchronization allReduce() {
        return new Synchronization("allreduce", 1, 0.9);
    }

    public static @NonNull Synchronization averageEvery(int steps) {
        return new Synchronization("average", steps, 0.9);
    }

    /** EASGD with communication period τ and moving rate β (the paper's β = 0.9). */
    public static @NonNull Synchronization elastic(int tau, double beta) {
        return new Synchronization("easgd", tau, beta);
    }

    /** This scheme over {@code ring}. */
    GradientExchange over(RingAllReduce ring) {
        return switch (mode) {
            case "average" -> new ParameterAveraging(ring, every);
            case "easgd" -> new ElasticAveraging(ring, every, beta);
            default -> ring;
        };
    }

    /** Local steps, and every {@code every} steps (and at the end) every replica's weights replaced by their mean. */
    static final class ParameterAveraging implements GradientExchange {
        private final RingAllReduce ring;
        private final int every;

        ParameterAveraging(RingAllReduce ring, int every) {
            this.ring = ring;
            this.every = every;
        }

        @Override
        public void average(float @NonNull [] grads, int count, int rows) {}

        @Override
        public void afterStep(float @NonNull [] params, int count, long iteration) {
            if (iteration % every == 0) {
                mean(params, count);
            }
        }

        @Override
        public void atTrainEnd(float @NonNull [] params, int count) {
            // every replica calls this, after the same number of steps: all of them or none sync here
            mean(params, count);
        }

        private void mean(float[] params, int count) {
            ring.sum(params, count);
            float n = ring.size();
            for (int i = 0; i < count; i++) {
                params[i] /= n;
            }
        }
    }

    /**
     * Synchronous EASGD (the paper's Algorithm 1 with all workers communicating at once): every replica holds the same
     * copy of the centre x̃, and every τ steps, with d_i = x_i − x̃, sets x_i ← x_i − α·d_i and x̃ ← x̃ + α·Σ d_i,
     * the sum by one all-reduce. The centre starts from the common initial (or resumed) weights and is what fit ends with.
     */
    static final class ElasticAveraging implements GradientExchange {
        private final RingAllReduce ring;
        private final int tau;
        private final float alpha;
        private float[] centre;
        private float[] diff = new float[0];

        ElasticAveraging(RingAllReduce ring, int tau, double beta) {
            this.ring = ring;
            this.tau = tau;
            this.alpha = (float) (beta / ring.size());
        }

        @Override
        public void average(float @NonNull [] grads, int count, int rows) {}

        @Override
        public void atTrainBegin(float @NonNull [] params, int count) {
            centre = java.util.Arrays.copyOf(params, count);
        }

        @Override
        public void afterStep(float @NonNull [] params, int count, long iteration) {
            if (iteration % tau != 0) {
                return;
            }
            if (diff.length < count) {
                diff = new float[count];
            }
            for (int i = 0; i < count; i++) {
                diff[i] = params[i] - centre[i];
                params[i] -= alpha * diff[i];
            }
            ring.sum(diff, count);
            for (int i = 0; i < count; i++) {
                centre[i] += alpha * diff[i];
            }
        }

        @Override
        public void atTrainEnd(float @NonNull [] params, int count) {
            System.arraycopy(centre, 0, params, 0, count);
        }
    }
}
