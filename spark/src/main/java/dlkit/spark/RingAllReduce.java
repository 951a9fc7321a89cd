package dlkit.spark;

import dlkit.DlkitException;
import dlkit.model.GradientExchange;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jspecify.annotations.NonNull;

/**
 * Sum and average of float arrays over N processes by the ring algorithm (Patarasuk and Yuan 2009; Baidu's and
 * Horovod's all-reduce): the array is cut into N chunks, N − 1 steps of reduce-scatter leave each process with one
 * chunk summed over all, N − 1 steps of all-gather pass the sums round. Each process sends and receives 2·(N − 1)/N of
 * the array per call, whatever N is, over one TCP connection to its successor and one from its predecessor, as raw
 * little-endian floats. A peer that stops answering fails the call after the timeout (the task fails, and Spark
 * retries the barrier stage) instead of hanging the run.
 */
public final class RingAllReduce implements GradientExchange, AutoCloseable {
    private static final int MAGIC = 0x646c6b72; // "dlkr"

    private final int rank;
    private final int size;
    private final Socket next;
    private final Socket prev;
    private final DataOutputStream out;
    private final DataInputStream in;
    private final ExecutorService sender;
    private byte[] sendBytes = new byte[0];
    private byte[] recvBytes = new byte[0];
    private float[] recv = new float[0];
    private long bytesSent;
    private long calls;

    /**
     * Joins the ring as {@code rank} of {@code peers.size()}: {@code server} is this process's listening socket (its
     * address is {@code peers.get(rank)}), bound before the addresses were exchanged so that every connect finds
     * its peer listening.
     */
    public RingAllReduce(int rank, @NonNull List<InetSocketAddress> peers, @NonNull ServerSocket server, int timeoutMillis) {
        this.rank = rank;
        this.size = peers.size();
        if (rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " outside a ring of " + size);
        }
        try {
            if (size == 1) {
                next = null;
                prev = null;
                out = null;
                in = null;
                sender = null;
                return;
            }
            InetSocketAddress to = peers.get((rank + 1) % size);
            next = new Socket();
            next.setTcpNoDelay(true);
            next.connect(to, timeoutMillis);
            out = new DataOutputStream(new BufferedOutputStream(next.getOutputStream(), 1 << 16));
            out.writeInt(MAGIC);
            out.writeInt(rank);
            out.flush();
            server.setSoTimeout(timeoutMillis);
            prev = server.accept();
            prev.setTcpNoDelay(true);
            prev.setSoTimeout(timeoutMillis);
            in = new DataInputStream(new BufferedInputStream(prev.getInputStream(), 1 << 16));
            int magic = in.readInt();
            int from = in.readInt();
            int expected = (rank - 1 + size) % size;
            if (magic != MAGIC || from != expected) {
                throw new DlkitException("all-reduce ring: rank " + rank + " expected its predecessor " + expected + " to connect, got "
                        + (magic != MAGIC ? "a connection that is not dlkit's" : "rank " + from));
            }
            sender = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "dlkit-allreduce-send-" + rank);
                t.setDaemon(true);
                return t;
            });
        } catch (SocketTimeoutException e) {
            throw new DlkitException("all-reduce ring: rank " + rank + " of " + size + ": no connection from its peers within " + timeoutMillis + " ms", e);
        } catch (IOException e) {
            throw new UncheckedIOException("all-reduce ring: rank " + rank + " could not connect to " + peers, e);
        }
    }

    public int rank() {
        return rank;
    }

    public int size() {
        return size;
    }

    /** Bytes this process has sent over the ring so far. */
    public long bytesSent() {
        return bytesSent;
    }

    /** All-reduce calls so far. */
    public long calls() {
        return calls;
    }

    /** {@code data[0, count)} becomes its element-wise sum over every process in the ring. */
    public void sum(float @NonNull [] data, int count) {
        calls++;
        if (size == 1 || count == 0) {
            return;
        }
        ensureCapacity(count);
        // reduce-scatter: after step s, chunk (rank − s − 1) holds the sum of s + 2 processes' parts
        for (int s = 0; s < size - 1; s++) {
            int send = Math.floorMod(rank - s, size);
            int recvChunk = Math.floorMod(rank - s - 1, size);
            int n = exchange(data, count, send, recvChunk);
            int lo = lo(recvChunk, count);
            for (int i = 0; i < n; i++) {
                data[lo + i] += recv[i];
            }
        }
        // all-gather: the finished chunks travel once round the ring
        for (int s = 0; s < size - 1; s++) {
            int send = Math.floorMod(rank + 1 - s, size);
            int recvChunk = Math.floorMod(rank - s, size);
            int n = exchange(data, count, send, recvChunk);
            System.arraycopy(recv, 0, data, lo(recvChunk, count), n);
        }
    }

    /**
     * The row-weighted mean: {@code grads} (this process's mean over {@code rows} samples) becomes the mean over all
     * processes' samples. The row counts travel in the same call, as one extra value.
     */
    @Override
    public void average(float @NonNull [] grads, int count, int rows) {
        if (size == 1) {
            calls++;
            return;
        }
        float[] buf = weighted(grads, count, rows);
        sum(buf, count + 1);
        float total = buf[count];
        for (int i = 0; i < count; i++) {
            grads[i] = buf[i] / total;
        }
    }

    private float[] weightedBuf = new float[0];

    private float[] weighted(float[] grads, int count, int rows) {
        if (weightedBuf.length < count + 1) {
            weightedBuf = new float[count + 1];
        }
        for (int i = 0; i < count; i++) {
            weightedBuf[i] = grads[i] * rows;
        }
        weightedBuf[count] = rows;
        return weightedBuf;
    }

    private int lo(int chunk, int count) {
        return (int) ((long) chunk * count / size);
    }

    private int len(int chunk, int count) {
        return lo(chunk + 1, count) - lo(chunk, count);
    }

    /** Sends chunk {@code send} to the successor while receiving chunk {@code recvChunk} from the predecessor into {@link #recv}. */
    private int exchange(float[] data, int count, int send, int recvChunk) {
        int sendLen = len(send, count);
        ByteBuffer.wrap(sendBytes, 0, sendLen * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(data, lo(send, count), sendLen);
        Future<?> sent = sender.submit(() -> {
            out.write(sendBytes, 0, sendLen * Float.BYTES);
            out.flush();
            return null;
        });
        int n = len(recvChunk, count);
        try {
            in.readFully(recvBytes, 0, n * Float.BYTES);
            sent.get();
        } catch (SocketTimeoutException e) {
            throw new DlkitException("all-reduce ring: rank " + rank + " of " + size + " heard nothing from rank " + Math.floorMod(rank - 1, size)
                    + " within " + safeTimeout() + " ms (a worker died or stalled)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("all-reduce ring: rank " + rank + " lost its connection to rank " + Math.floorMod(rank - 1, size), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DlkitException("all-reduce ring: rank " + rank + " interrupted", e);
        } catch (ExecutionException e) {
            throw new UncheckedIOException("all-reduce ring: rank " + rank + " lost its connection to rank " + (rank + 1) % size,
                    e.getCause() instanceof IOException io ? io : new IOException(e.getCause()));
        }
        ByteBuffer.wrap(recvBytes, 0, n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(recv, 0, n);
        bytesSent += (long) sendLen * Float.BYTES;
        return n;
    }

    private int safeTimeout() {
        try {
            return prev.getSoTimeout();
        } catch (IOException e) {
            return -1;
        }
    }

    private void ensureCapacity(int count) {
        int chunk = (count + size - 1) / size + 1;
        if (recv.length < chunk) {
            recv = new float[chunk];
            sendBytes = new byte[chunk * Float.BYTES];
            recvBytes = new byte[chunk * Float.BYTES];
        }
    }

    @Override
    public void close() {
        if (sender != null) {
            sender.shutdownNow();
        }
        for (Socket s : new Socket[] {next, prev}) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a dead connection
                }
            }
        }
    }
}
