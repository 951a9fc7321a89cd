package dlkit.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.callbacks.ProgressBar;
import dlkit.config.Json;
import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A distributed run's progress on the driver. Worker 0 of every attempt of the barrier stage reports its epochs and
 * batches over one TCP connection (a JSON object per line: small, infrequent next to the gradients); the driver draws
 * the same progress bar as a local run and counts the attempts and the steps a retried attempt redoes (the steps
 * the lost attempt had reached past the checkpoint the next one resumed from).
 */
final class Progress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

    private final ServerSocket server;
    private final Thread acceptor;
    private final @Nullable ProgressBar bar;
    private final @Nullable PrintStream out;
    /** Per attempt: the first step it reported and the furthest. */
    private final TreeMap<Integer, long[]> attempts = new TreeMap<>();
    private long redone;

    /** Listens on {@code host}; draws on {@code out} (null: counts only). */
    Progress(String host, @Nullable PrintStream out) {
        try {
            server = new ServerSocket(0, 8, InetAddress.getByName(host));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for the workers' progress on " + host + ": " + e.getMessage(), e);
        }
        this.out = out;
        this.bar = out == null ? null : new ProgressBar(out, System.console() != null);
        acceptor = new Thread(this::accept, "dlkit-spark-progress");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Where worker 0 connects. */
    String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread reader = new Thread(() -> read(s), "dlkit-spark-progress-reader");
                reader.setDaemon(true);
                reader.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void read(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = boundedLine(in)) != null) {
                on(Json.MAPPER.readTree(line));
            }
        } catch (IOException | RuntimeException e) {
            // a lost worker's connection ends mid-line; its attempt is over
            LOG.debug("progress connection ended: {}", e.getMessage());
        }
    }

    /** An event is a few hundred characters: a longer line is not worker 0's, and ends the connection. */
    private static final int MAX_LINE = 64 * 1024;

    private static @Nullable String boundedLine(BufferedReader in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (sb.length() == MAX_LINE) {
                throw new IOException("a progress line over " + MAX_LINE + " characters");
            }
            sb.append((char) c);
        }
        return c == -1 && sb.isEmpty() ? null : sb.toString();
    }

    synchronized void on(JsonNode e) {
        int attempt = e.path("attempt").asInt();
        switch (e.path("event").asText()) {
            case "epoch_begin" -> {
                if (bar != null) {
                    bar.epochBegin(e.path("epoch").asInt(), e.path("epochs").asInt());
                }
            }
            case "batch" -> {
                long step = e.path("step").asLong();
                long[] seen = attempts.get(attempt);
                if (seen == null) {
                    long reached = attempts.values().stream().mapToLong(a -> a[1]).max().orElse(0);
                    long resumedAt = step - 1;
                    long again = Math.max(0, reached - resumedAt);
                    if (!attempts.isEmpty()) {
                        redone += again;
                        if (out != null) {
                            out.printf(Locale.ROOT, "%nattempt %d (a worker was lost): resumed from the checkpoint at step %d, %d steps redone%n",
                                    attempt + 1, resumedAt, again);
                        }
                    }
                    seen = new long[] {step, step};
                    attempts.put(attempt, seen);
                }
                seen[1] = Math.max(seen[1], step);
                if (bar != null) {
                    bar.batchEnd(e.path("batch").asLong(), e.path("steps").asLong(), logs(e));
                }
            }
            case "epoch_end" -> {
                if (bar != null) {
                    bar.epochEnd(e.path("steps").asLong(), logs(e));
                }
            }
            default -> LOG.debug("unknown progress event {}", e);
        }
    }

    private static Map<String, Double> logs(JsonNode e) {
        Map<String, Double> logs = new java.util.LinkedHashMap<>();
        e.path("logs").fields().forEachRemaining(f -> logs.put(f.getKey(), f.getValue().isNumber() ? f.getValue().asDouble() : Double.NaN));
        return logs;
    }

    /** Attempts that trained at least one step. */
    synchronized int attempts() {
        return attempts.size();
    }

    /** Steps trained again by retried attempts. */
    synchronized long stepsRedone() {
        return redone;
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the progress socket: {}", e.getMessage());
        }
    }

    /**
     * Worker 0's side: sends every batch and epoch to the driver. Progress is never worth failing training for: when
     * the driver cannot be reached, it stops sending.
     */
    static final class Reporter implements Callback {
        private final String address;
        private final int attempt;
        private @Nullable BufferedWriter out;
        private boolean failed;

        Reporter(String address, int attempt) {
            this.address = address;
            this.attempt = attempt;
        }

        @Override
        public void onTrainBegin(TrainingState state) {
            int c = address.lastIndexOf(':');
            try {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(address.substring(0, c), Integer.parseInt(address.substring(c + 1))), 10_000);
                s.setTcpNoDelay(true);
                out = new BufferedWriter(new OutputStreamWriter(s.getOutputStream(), StandardCharsets.UTF_8));
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot report progress to the driver at {}: {}", address, e.getMessage());
                failed = true;
            }
        }

        @Override
        public void onEpochBegin(int epoch, TrainingState state) {
            send(event("epoch_begin").put("epoch", epoch).put("epochs", state.epochs()));
        }

        @Override
        public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
            send(withLogs(event("batch").put("batch", batch).put("steps", state.stepsPerEpoch()).put("step", state.model().iterations()), logs));
        }

        @Override
        public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
            send(withLogs(event("epoch_end").put("epoch", epoch).put("steps", state.stepsPerEpoch()), logs));
        }

        @Override
        public void onTrainEnd(TrainingState state) {
            if (out != null) {
                try {
                    out.close();
                } catch (IOException e) {
                    LOG.debug("closing the progress connection: {}", e.getMessage());
                }
                out = null;
            }
        }

        private ObjectNode event(String type) {
            return Json.MAPPER.createObjectNode().put("event", type).put("attempt", attempt);
        }

        private static ObjectNode withLogs(ObjectNode e, Map<String, Double> logs) {
            ObjectNode l = e.putObject("logs");
            logs.forEach((k, v) -> {
                if (Double.isFinite(v)) {
                    l.put(k, v);
                } else {
                    l.putNull(k);
                }
            });
            return e;
        }

        private void send(ObjectNode e) {
            if (out == null || failed) {
                return;
            }
            try {
                out.write(e.toString());
                out.write('\n');
                out.flush();
            } catch (IOException ex) {
                LOG.warn("the driver stopped taking progress reports: {}", ex.getMessage());
                failed = true;
            }
        }
    }
}
