package dlkit.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.model.GradientExchange;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** Parameter averaging and elastic averaging between threads over loopback: the update rules, step by step. */
class SynchronizationTest {
    /** Runs {@code body(rank, exchange)} on {@code n} threads joined in a ring by {@code sync}. */
    private static void onRing(int n, Synchronization sync, BiConsumer<Integer, GradientExchange> body) throws Exception {
        List<ServerSocket> servers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            servers.add(new ServerSocket(0, 8, InetAddress.getLoopbackAddress()));
        }
        List<InetSocketAddress> peers = servers.stream().map(s -> new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort())).toList();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                int rank = r;
                done.add(pool.submit(() -> {
                    try (RingAllReduce ring = new RingAllReduce(rank, peers, servers.get(rank), 10_000)) {
                        body.accept(rank, sync.over(ring));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
            for (ServerSocket s : servers) {
                s.close();
            }
        }
    }

    @Test
    void parameterAveragingLeavesGradientsAloneAndAveragesEveryKStepsAndAtTheEnd() throws Exception {
        float[][] w = {{1, 2, 3}, {3, 6, -1}};
        float[][] g = {{5, 5, 5}, {7, 7, 7}};
        onRing(2, Synchronization.averageEvery(2), (rank, ex) -> {
            ex.atTrainBegin(w[rank], 3);
            ex.average(g[rank], 3, 10);
            ex.afterStep(w[rank], 3, 1);
            assertArrayEquals(rank == 0 ? new float[] {1, 2, 3} : new float[] {3, 6, -1}, w[rank], "step 1: no exchange");
            ex.afterStep(w[rank], 3, 2);
            assertArrayEquals(new float[] {2, 4, 1}, w[rank], "step 2: the mean");
            w[rank][0] += rank == 0 ? 1 : -3;
            ex.atTrainEnd(w[rank], 3);
            assertArrayEquals(new float[] {1, 4, 1}, w[rank], "end: the mean again");
        });
        assertArrayEquals(new float[] {5, 5, 5}, g[0], "gradients stay each replica's own");
    }

    /** Zhang et al. 2015, Algorithm 1 (synchronous): x_i ← x_i − α(x_i − x̃), x̃ ← x̃ + α Σ(x_i − x̃), α = β/p. */
    @Test
    void elasticAveragingPullsReplicasTowardTheCentreEveryTauSteps() throws Exception {
        double beta = 0.8;
        float alpha = (float) (beta / 2);
        float[][] w = {{0, 10}, {0, 10}};
        float[][] centre = new float[2][];
        onRing(2, Synchronization.elastic(3, beta), (rank, ex) -> {
            ex.atTrainBegin(w[rank], 2);
            // local steps move the replicas apart
            w[rank][0] += rank == 0 ? 4 : -2;
            w[rank][1] += rank == 0 ? 1 : 3;
            ex.afterStep(w[rank], 2, 1);
            ex.afterStep(w[rank], 2, 2);
            float[] before = w[rank].clone();
            ex.afterStep(w[rank], 2, 3);
            // d = x_i − x̃ with x̃ = (0, 10)
            assertEquals(before[0] - alpha * (before[0] - 0), w[rank][0], 1e-6);
            assertEquals(before[1] - alpha * (before[1] - 10), w[rank][1], 1e-6);
            float[] c = new float[2];
            ex.atTrainEnd(c, 2);
            centre[rank] = c;
        });
        // Σ d = (4 − 2, 1 + 3) = (2, 4): x̃ = (0 + α·2, 10 + α·4)
        assertArrayEquals(new float[] {2 * alpha, 10 + 4 * alpha}, centre[0], 1e-6f);
        assertArrayEquals(centre[0], centre[1], "every replica holds the same centre");
    }

    @Test
    void badSettingsNameTheKey() {
        ConfigException mode = assertThrows(ConfigException.class, () -> new Synchronization("gossip", 1, 0.9));
        assertTrue(mode.getMessage().contains("distributed.sync") && mode.getMessage().contains("gossip"), mode.getMessage());
        ConfigException every = assertThrows(ConfigException.class, () -> Synchronization.averageEvery(0));
        assertTrue(every.getMessage().contains("distributed.every"), every.getMessage());
        ConfigException beta = assertThrows(ConfigException.class, () -> Synchronization.elastic(4, 1.5));
        assertTrue(beta.getMessage().contains("distributed.beta"), beta.getMessage());
    }

}
