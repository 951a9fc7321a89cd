package dlkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.DlkitException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The ring all-reduce between threads over loopback TCP: sums, weighted means, traffic, a peer that dies. */
class RingAllReduceTest {
    private static List<ServerSocket> servers(int n) throws IOException {
        List<ServerSocket> s = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            s.add(new ServerSocket(0, 8, InetAddress.getLoopbackAddress()));
        }
        return s;
    }

    private static List<InetSocketAddress> addresses(List<ServerSocket> servers) {
        return servers.stream().map(s -> new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort())).toList();
    }

    @Test
    void sumsAndAveragesOverEveryRingSize() throws Exception {
        for (int n : new int[] {1, 2, 3, 5}) {
            for (int count : new int[] {0, 1, 4, 1001}) {
                List<ServerSocket> servers = servers(n);
                List<InetSocketAddress> peers = addresses(servers);
                float[][] data = new float[n][count];
                int[] rows = new int[n];
                SplittableRandom rng = new SplittableRandom(n * 31L + count);
                double[] expectedSum = new double[count];
                double[] weighted = new double[count];
                long totalRows = 0;
                for (int r = 0; r < n; r++) {
                    rows[r] = 1 + rng.nextInt(100);
                    totalRows += rows[r];
                    for (int i = 0; i < count; i++) {
                        data[r][i] = (float) rng.nextGaussian();
                        expectedSum[i] += data[r][i];
                        weighted[i] += (double) data[r][i] * rows[r];
                    }
                }
                float[][] avg = new float[n][];
                ExecutorService pool = Executors.newFixedThreadPool(n);
                List<Future<Long>> done = new ArrayList<>();
                for (int r = 0; r < n; r++) {
                    int rank = r;
                    avg[r] = data[r].clone();
                    done.add(pool.submit(() -> {
                        try (RingAllReduce ring = new RingAllReduce(rank, peers, servers.get(rank), 10_000)) {
                            ring.sum(data[rank], count);
                            ring.average(avg[rank], count, rows[rank]);
                            return ring.bytesSent();
                        }
                    }));
                }
                for (int r = 0; r < n; r++) {
                    long sent = done.get(r).get();
                    // 2(n−1)/n of the array per call: the sum, then the mean (which carries the row count along)
                    long per = n == 1 ? 0 : 2L * (n - 1) * Float.BYTES;
                    assertTrue(sent <= per * ((count + n - 1) / n) + per * ((count + 1 + n - 1) / n), "bytes sent " + sent);
                    for (int i = 0; i < count; i++) {
                        assertEquals(expectedSum[i], data[r][i], 1e-5, "sum, ring of " + n + ", rank " + r + ", element " + i);
                        assertEquals(weighted[i] / totalRows, avg[r][i], 1e-5, "weighted mean, ring of " + n + ", rank " + r);
                    }
                }
                pool.shutdown();
                for (ServerSocket s : servers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aPeerThatNeverJoinsFailsTheCallNotTheRun() throws Exception {
        List<ServerSocket> servers = servers(2);
        List<InetSocketAddress> peers = addresses(servers);
        long t0 = System.nanoTime();
        // rank 1 never starts: rank 0 connects to its listening socket, but nobody connects back
        DlkitException e = assertThrows(DlkitException.class, () -> new RingAllReduce(0, peers, servers.get(0), 500));
        assertTrue(e.getMessage().contains("no connection from its peers within 500 ms"), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "gave up within the timeout");
        for (ServerSocket s : servers) {
            s.close();
        }
    }
}
