package dlkit.serve;

import dlkit.model.Predictor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * One model's dynamic batcher: a thread that takes queued requests, coalesces them up to {@code maxBatch} rows, runs
 * them as one {@link Predictor} call and splits the outputs back. It waits for more rows (up to {@code maxDelayNanos})
 * only while admitted requests are still being parsed, so a lone client never pays the delay; a request that finds
 * nothing queued, nothing else arriving and the predictor idle runs on its own thread, with no hand-off at all.
 * Closing lets every admitted request finish first: a reload swaps in a new batcher while the old one drains.
 */
final class Batcher {
    private record Job(Rows rows, CompletableFuture<float[][]> result) {}

    private final Predictor predictor;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final IntConsumer batchSizes;
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final float[][] in;
    private final float[][] out;
    /** Held by whichever thread runs the predictor: the batcher's, or a lone request's own. Guards in and out. */
    private final ReentrantLock running = new ReentrantLock();
    private final Thread thread;
    /** Requests admitted but not yet queued (being parsed); guarded by {@code this} with {@link #closed}. */
    private int arriving;
    private boolean closed;

    Batcher(String name, Predictor predictor, long maxDelayNanos, IntConsumer batchSizes) {
        this.predictor = predictor;
        this.maxBatch = predictor.maxBatch();
        this.maxDelayNanos = maxDelayNanos;
        this.batchSizes = batchSizes;
        int inputs = predictor.inputCount();
        this.in = new float[inputs][];
        for (int i = 0; i < inputs; i++) {
            in[i] = new float[maxBatch * predictor.inputSize(i)];
        }
        int outputs = predictor.outputCount();
        this.out = new float[outputs][];
        for (int o = 0; o < outputs; o++) {
            out[o] = new float[maxBatch * predictor.outputSize(o)];
        }
        this.thread = new Thread(this::loop, "dlkit-batcher-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Admits a request before its body is parsed; false once closed (the caller looks the model up again). */
    synchronized boolean admit() {
        if (closed) {
            return false;
        }
        arriving++;
        return true;
    }

    /** An admitted request that will not be queued (its body was bad). */
    synchronized void abandon() {
        arriving--;
    }

    /**
     * Queues an admitted request's rows; the future completes with its outputs (n rows each) or the error. A lone
     * request is run before this returns, on the caller's thread, and its future is already complete.
     */
    CompletableFuture<float[][]> submit(Rows rows) {
        CompletableFuture<float[][]> f = new CompletableFuture<>();
        if (rows.n() <= maxBatch && queue.isEmpty() && alone() && running.tryLock()) {
            try {
                synchronized (this) {
                    arriving--;
                }
                run(List.of(new Job(rows, f)), rows.n());
            } finally {
                running.unlock();
            }
            return f;
        }
        queue.add(new Job(rows, f));
        synchronized (this) {
            arriving--;
        }
        return f;
    }

    int queueDepth() {
        return queue.size();
    }

    /** Stops admitting; the thread ends once every admitted request is answered. */
    synchronized void close() {
        closed = true;
    }

    private synchronized boolean finished() {
        return closed && arriving == 0 && queue.isEmpty();
    }

    private synchronized boolean alone() {
        return arriving == 1;
    }

    private synchronized boolean othersArriving() {
        return arriving > 0;
    }

    private void loop() {
        List<Job> batch = new ArrayList<>();
        while (true) {
            Job first;
            try {
                first = queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                if (finished()) {
                    return;
                }
                continue;
            }
            if (first.rows.n() > maxBatch) {
                runAlone(first);
                continue;
            }
            batch.clear();
            batch.add(first);
            int rows = first.rows.n();
            long deadline = System.nanoTime() + maxDelayNanos;
            while (rows < maxBatch) {
                Job next = queue.peek();
                if (next == null) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || !othersArriving()) {
                        break;
                    }
                    try {
                        // Short slices: a request that turns out bad never arrives, and nothing waits for it long.
                        next = queue.poll(Math.min(left, 200_000), TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (next == null) {
                        continue;
                    }
                    if (rows + next.rows.n() > maxBatch) {
                        // Taken but does not fit: it starts the next batch.
                        run(batch, rows);
                        batch.clear();
                        batch.add(next);
                        rows = next.rows.n();
                        if (rows > maxBatch) {
                            runAlone(batch.remove(0));
                            rows = 0;
                            break;
                        }
                        deadline = System.nanoTime() + maxDelayNanos;
                        continue;
                    }
                } else {
                    if (rows + next.rows.n() > maxBatch) {
                        break;
                    }
                    queue.poll();
                }
                batch.add(next);
                rows += next.rows.n();
            }
            if (!batch.isEmpty()) {
                run(batch, rows);
            }
        }
    }

    /** Runs the jobs' rows as one predictor call and completes each with its slice of the outputs. */
    private void run(List<Job> jobs, int rows) {
        running.lock();
        try {
            int at = 0;
            for (Job j : jobs) {
                for (int i = 0; i < in.length; i++) {
                    int size = predictor.inputSize(i);
                    System.arraycopy(j.rows.inputs()[i], 0, in[i], at * size, j.rows.n() * size);
                }
                at += j.rows.n();
            }
            predictor.predict(in, rows, out);
            batchSizes.accept(rows);
            at = 0;
            for (Job j : jobs) {
                float[][] mine = new float[out.length][];
                for (int o = 0; o < out.length; o++) {
                    int size = predictor.outputSize(o);
                    mine[o] = new float[j.rows.n() * size];
                    System.arraycopy(out[o], at * size, mine[o], 0, j.rows.n() * size);
                }
                at += j.rows.n();
                j.result.complete(mine);
            }
        } catch (RuntimeException e) {
            jobs.forEach(j -> j.result.completeExceptionally(e));
        } finally {
            running.unlock();
        }
    }

    /** A request of more rows than a batch: its own predictor calls, maxBatch rows at a time. */
    private void runAlone(Job j) {
        running.lock();
        try {
            int n = j.rows.n();
            float[][] mine = new float[out.length][];
            for (int o = 0; o < out.length; o++) {
                mine[o] = new float[n * predictor.outputSize(o)];
            }
            for (int start = 0; start < n; start += maxBatch) {
                int m = Math.min(maxBatch, n - start);
                for (int i = 0; i < in.length; i++) {
                    int size = predictor.inputSize(i);
                    System.arraycopy(j.rows.inputs()[i], start * size, in[i], 0, m * size);
                }
                predictor.predict(in, m, out);
                batchSizes.accept(m);
                for (int o = 0; o < out.length; o++) {
                    int size = predictor.outputSize(o);
                    System.arraycopy(out[o], 0, mine[o], start * size, m * size);
                }
            }
            j.result.complete(mine);
        } catch (RuntimeException e) {
            j.result.completeExceptionally(e);
        } finally {
            running.unlock();
        }
    }
}
