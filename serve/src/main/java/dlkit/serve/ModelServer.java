package dlkit.serve;

import dlkit.DlkitException;
import dlkit.model.Model;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * {@code dl serve}: models over HTTP on Jetty, speaking the Open Inference Protocol (KServe v2 REST) and TensorFlow
 * Serving's REST predict, each model's concurrent requests coalesced by its {@link Batcher}. Binds 127.0.0.1 unless
 * told otherwise. {@link #stop()} is graceful: no new connections, in-flight requests answered, then the batchers end.
 */
public final class ModelServer implements AutoCloseable {
    private final Server server;
    private final ServerConnector connector;
    private final ModelRepository repo;

    private ModelServer(Builder b) {
        if (!Files.exists(b.source)) {
            throw new DlkitException(b.source + ": no such model file or directory");
        }
        ServingMetrics[] metrics = new ServingMetrics[1];
        this.repo = new ModelRepository(b.source, b.maxBatch, TimeUnit.MICROSECONDS.toNanos(b.maxDelayMicros), b.loader,
                (model, rows) -> metrics[0].batch(model, rows));
        metrics[0] = new ServingMetrics(b.maxBatch, repo::models);
        QueuedThreadPool threads = new QueuedThreadPool(Math.max(8, b.httpThreads), 4);
        threads.setName("dlkit-http");
        threads.setDaemon(true);
        Api api = new Api(repo, metrics[0], b.token, threads);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false); // no "Server: Jetty(version)" to strangers
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(b.host);
        connector.setPort(b.port);
        server.addConnector(connector);
        server.setHandler(new GracefulHandler(new Endpoints(api, b.maxRequestBytes)) {
            // A request that arrives once stopping has begun: refused in the API's form (Jetty's default is an HTML page).
            @Override
            protected void handleShutdownRejection(Request request, Response response, Callback callback) {
                Endpoints.write(response, callback, api.error(503, "the server is shutting down"));
            }
        });
        server.setStopTimeout(b.stopTimeoutMillis);
        server.setStopAtShutdown(false);
        repo.start(b.pollMillis);
        try {
            server.start();
        } catch (Exception e) {
            repo.close();
            throw new DlkitException("cannot listen on " + b.host + ":" + b.port + ": " + e.getMessage(), e);
        }
    }

    public static @NonNull Builder builder(@NonNull Path modelOrDirectory) {
        return new Builder(modelOrDirectory);
    }

    /** The port listened on (the one chosen when 0 was asked for). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Whether every model of the first scan is loaded and at least one is served. */
    public boolean ready() {
        return repo.ready();
    }

    /** Stops accepting, answers every request already received (up to the stop timeout), then ends the batchers. */
    public void stop() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new DlkitException("stopping the server: " + e.getMessage(), e);
        } finally {
            repo.close();
        }
    }

    @Override
    public void close() {
        stop();
    }

    /** Jetty's side: the body read up to the limit (413 past it), the {@link Api}'s answer written when it completes. */
    private static final class Endpoints extends Handler.Abstract {
        /** Past this, a refused body is not read to its end: the connection is closed instead. */
        private static final long DRAIN_BYTES = 64L << 20;
        private final Api api;
        private final long maxBytes;

        Endpoints(Api api, long maxBytes) {
            this.api = api;
            this.maxBytes = maxBytes;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            String method = request.getMethod();
            String path = request.getHttpURI().getDecodedPath();
            byte[] body;
            try {
                body = readBody(request);
            } catch (BadRequest e) {
                write(response, callback, api.error(e.status, e.getMessage()));
                return true;
            }
            HttpFields headers = request.getHeaders();
            api.handle(method, path == null ? "" : path, headers.get(HttpHeader.AUTHORIZATION), headers.get(OpenInference.HEADER_LENGTH), body)
                    .whenComplete((r, e) -> write(response, callback, e == null ? r : api.error(500, "internal error")));
            return true;
        }

        private byte[] readBody(Request request) {
            long declared = request.getLength();
            try (InputStream in = Content.Source.asInputStream(request)) {
                if (declared > maxBytes) {
                    drain(in);
                    throw new BadRequest(413, "the body is " + declared + " bytes; this server takes at most " + maxBytes);
                }
                // Sized by Content-Length when there is one (no copy at the end); grown while counting when chunked.
                byte[] buf = new byte[(int) (declared >= 0 ? declared : Math.min(8192, maxBytes + 1))];
                int n = 0;
                while (true) {
                    if (n == buf.length) {
                        if (declared >= 0) {
                            break;
                        }
                        if (n > maxBytes) {
                            drain(in);
                            throw new BadRequest(413, "the body is more than " + maxBytes + " bytes, the most this server takes");
                        }
                        buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, maxBytes + 1));
                    }
                    int r = in.read(buf, n, buf.length - n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                return n == buf.length ? buf : Arrays.copyOf(buf, n);
            } catch (IOException e) {
                throw new BadRequest(400, "reading the body: " + e.getMessage());
            }
        }

        /**
         * Reads and drops what is left of a refused body (up to {@link #DRAIN_BYTES}), so the client, still sending,
         * reads the 413 rather than a connection reset.
         */
        private static void drain(InputStream in) throws IOException {
            byte[] scratch = new byte[64 << 10];
            long left = DRAIN_BYTES;
            int r;
            while (left > 0 && (r = in.read(scratch, 0, (int) Math.min(scratch.length, left))) >= 0) {
                left -= r;
            }
        }

        private static void write(Response response, Callback callback, Api.Reply r) {
            response.setStatus(r.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, r.contentType());
            if (r.jsonLength() >= 0) {
                response.getHeaders().put(OpenInference.HEADER_LENGTH, r.jsonLength());
            }
            response.write(true, ByteBuffer.wrap(r.body()), callback);
        }
    }

    /** Keras-style defaults: 127.0.0.1:8080, batches of up to 64 rows, 2 ms to gather one. */
    public static final class Builder {
        private final Path source;
        private String host = "127.0.0.1";
        private int port = 8080;
        private int maxBatch = 64;
        private long maxDelayMicros = 2000;
        private int httpThreads = 16;
        private @Nullable String token;
        private long maxRequestBytes = 64L << 20;
        private long pollMillis = 1000;
        private long stopTimeoutMillis = 30_000;
        private Function<Path, Model> loader = Model::load;

        private Builder(Path source) {
            this.source = source;
        }

        public @NonNull Builder host(@NonNull String host) {
            this.host = host;
            return this;
        }

        /** 0 picks a free port ({@link ModelServer#port()} tells which). */
        public @NonNull Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new DlkitException("port: expected 0 to 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        public @NonNull Builder maxBatch(int rows) {
            if (rows < 1) {
                throw new DlkitException("max batch: expected at least 1 row, got " + rows);
            }
            this.maxBatch = rows;
            return this;
        }

        public @NonNull Builder maxDelayMillis(double millis) {
            if (!(millis >= 0) || millis > 10_000) {
                throw new DlkitException("max delay: expected 0 to 10000 ms, got " + millis);
            }
            this.maxDelayMicros = Math.round(millis * 1000);
            return this;
        }

        public @NonNull Builder httpThreads(int threads) {
            if (threads < 1) {
                throw new DlkitException("threads: expected at least 1, got " + threads);
            }
            this.httpThreads = threads;
            return this;
        }

        /** Requests other than the health checks must carry {@code Authorization: Bearer TOKEN}. */
        public @NonNull Builder token(@Nullable String token) {
            if (token != null && token.isBlank()) {
                throw new DlkitException("token: empty");
            }
            this.token = token;
            return this;
        }

        public @NonNull Builder maxRequestBytes(long bytes) {
            if (bytes < 1 || bytes > Integer.MAX_VALUE - 16) {
                throw new DlkitException("max request bytes: expected 1 to " + (Integer.MAX_VALUE - 16) + ", got " + bytes);
            }
            this.maxRequestBytes = bytes;
            return this;
        }

        /** How often the model file or directory is looked at for new, replaced and removed models. */
        public @NonNull Builder pollMillis(long millis) {
            this.pollMillis = Math.max(10, millis);
            return this;
        }

        public @NonNull Builder stopTimeoutMillis(long millis) {
            this.stopTimeoutMillis = millis;
            return this;
        }

        /** How a model file is read ({@link Model#load} by default; the CLI adds Keras files). */
        public @NonNull Builder loader(@NonNull Function<Path, Model> loader) {
            this.loader = loader;
            return this;
        }

        public @NonNull ModelServer start() {
            return new ModelServer(this);
        }
    }
}
