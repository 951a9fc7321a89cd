package dlkit.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints, apart from HTTP: a method, a path, the Authorization header and a body in; a status, a content type
 * and a body out (completed when the batcher has run the request). The HTTP server and the fuzz target both call it.
 * Every failure is an answer: a {@link BadRequest} its status, anything else 500 with no detail beyond the log.
 */
final class Api {
    private static final Logger LOG = LoggerFactory.getLogger(Api.class);
    static final String JSON_TYPE = "application/json";
    static final String BINARY_TYPE = "application/octet-stream";

    /** {@code jsonLength} ≥ 0: the body is that much JSON and then binary tensors (the binary data extension). */
    record Reply(int status, String contentType, byte[] body, int jsonLength) {
        Reply(int status, String contentType, byte[] body) {
            this(status, contentType, body, -1);
        }
    }

    private final ModelRepository repo;
    private final ServingMetrics metrics;
    private final byte @Nullable [] token;
    private final Executor responses;
    final JsonFactory json = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxNumberLength(100).build())
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();

    /** {@code responses} runs the answers of batched requests, so the batcher thread only predicts. */
    Api(ModelRepository repo, ServingMetrics metrics, @Nullable String token, Executor responses) {
        this.repo = repo;
        this.metrics = metrics;
        this.responses = responses;
        this.token = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    /** {@code jsonLength}: the request's Inference-Header-Content-Length header, when it has one. */
    CompletableFuture<Reply> handle(String method, String path, @Nullable String authorization, @Nullable String jsonLength, byte[] body) {
        long start = System.nanoTime();
        String[] label = {"", "other"};
        CompletableFuture<Reply> reply;
        try {
            reply = route(method, path, authorization, jsonLength, body, label);
        } catch (BadRequest e) {
            reply = CompletableFuture.completedFuture(error(e.status, e.getMessage()));
        } catch (RuntimeException e) {
            LOG.error("{} {} failed", method, path, e);
            reply = CompletableFuture.completedFuture(error(500, "internal error"));
        }
        return reply.handle((r, e) -> {
            if (e != null) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (cause instanceof BadRequest b) {
                    r = error(b.status, b.getMessage());
                } else {
                    LOG.error("{} {} failed", method, path, cause);
                    r = error(500, "internal error");
                }
            }
            metrics.answered(label[0], label[1], r.status(), start);
            return r;
        });
    }

    private CompletableFuture<Reply> route(String method, String path, @Nullable String authorization, @Nullable String jsonLength, byte[] body,
            String[] label) {
        if (path.equals("/v2/health/live")) {
            label[1] = "health";
            requireGet(method);
            return done(ok("{\"live\":true}"));
        }
        if (path.equals("/v2/health/ready")) {
            label[1] = "health";
            requireGet(method);
            return done(repo.ready() ? ok("{\"ready\":true}") : reply(503, "{\"ready\":false}"));
        }
        if (token != null && (authorization == null || !MessageDigest.isEqual(token, authorization.getBytes(StandardCharsets.UTF_8)))) {
            throw new BadRequest(401, "missing or wrong bearer token: send the header 'Authorization: Bearer TOKEN'");
        }
        if (path.equals("/metrics")) {
            label[1] = "metrics";
            requireGet(method);
            return done(new Reply(200, metrics.contentType(), metrics.scrape()));
        }
        if (path.equals("/v2")) {
            label[1] = "metadata";
            requireGet(method);
            return done(ok("{\"name\":\"dlkit\",\"version\":\"" + Api.class.getPackage().getImplementationVersion() + "\",\"extensions\":[]}"));
        }
        if (path.startsWith("/v2/models/")) {
            String rest = path.substring("/v2/models/".length());
            String[] parts = rest.split("/", -1);
            String name = parts[0];
            // KServe clients may address version 1 explicitly: /v2/models/{name}/versions/1/...
            int at = 1;
            if (parts.length >= 3 && parts[1].equals("versions")) {
                if (!parts[2].equals("1")) {
                    throw new BadRequest(404, "model '" + name + "' has the one version 1, not '" + parts[2] + "'");
                }
                at = 3;
            }
            String action = parts.length == at ? "" : parts.length == at + 1 ? parts[at] : null;
            if (action == null) {
                throw new BadRequest(404, "no endpoint " + path);
            }
            switch (action) {
                case "" -> {
                    label[1] = "metadata";
                    requireGet(method);
                    ServedModel m = model(name, label);
                    return done(ok(metadata(m)));
                }
                case "ready" -> {
                    label[1] = "ready";
                    requireGet(method);
                    model(name, label);
                    return done(ok("{\"name\":" + quote(name) + ",\"ready\":true}"));
                }
                case "infer" -> {
                    label[1] = "infer";
                    requirePost(method);
                    return infer(name, label, body, jsonLength, true);
                }
                default -> throw new BadRequest(404, "no endpoint " + path);
            }
        }
        if (path.startsWith("/v1/models/")) {
            String rest = path.substring("/v1/models/".length());
            if (rest.endsWith(":predict")) {
                String name = rest.substring(0, rest.length() - ":predict".length());
                label[1] = "predict";
                requirePost(method);
                return infer(name, label, body, null, false);
            }
            if (!rest.contains("/") && !rest.contains(":")) {
                label[1] = "status";
                requireGet(method);
                model(rest, label);
                return done(ok("{\"model_version_status\":[{\"version\":\"1\",\"state\":\"AVAILABLE\",\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}]}"));
            }
        }
        throw new BadRequest(404, "no endpoint " + path + "; see /v2/health/live, /v2/models/{name}[/ready|/infer], /v1/models/{name}:predict, /metrics");
    }

    /** Admits the request to the model's batcher, parses it, queues it and answers in the protocol it came in. */
    private CompletableFuture<Reply> infer(String name, String[] label, byte[] body, @Nullable String jsonLength, boolean oip) {
        ServedModel m;
        while (true) {
            m = model(name, label);
            if (m.batcher().admit()) {
                break;
            }
            // Swapped out by a reload between lookup and admission: the new version takes it.
        }
        Signature sig = m.signature();
        Batcher b = m.batcher();
        try {
            if (oip) {
                OpenInference.Request req = OpenInference.parse(json, body, jsonLength, name, sig);
                return answer(b.submit(req.rows()), out -> {
                    OpenInference.Response r = OpenInference.response(json, name, req, sig, out);
                    return new Reply(200, r.jsonLength() < 0 ? JSON_TYPE : BINARY_TYPE, r.body(), r.jsonLength());
                });
            }
            TensorFlowServing.Request req = TensorFlowServing.parse(json, body, name, sig);
            return answer(b.submit(req.rows()), out -> new Reply(200, JSON_TYPE, TensorFlowServing.response(json, req, sig, out)));
        } catch (RuntimeException e) {
            b.abandon();
            throw e;
        }
    }

    /** A lone request ran on this thread and answers here; a batched one answers on another, not the batcher's. */
    private CompletableFuture<Reply> answer(CompletableFuture<float[][]> outputs, Function<float[][], Reply> reply) {
        return outputs.isDone() ? outputs.thenApply(reply) : outputs.thenApplyAsync(reply, responses);
    }

    private ServedModel model(String name, String[] label) {
        ServedModel m = repo.get(name);
        if (m == null) {
            String why = repo.failure(name);
            if (why != null) {
                throw new BadRequest(503, "model '" + name + "' failed to load: " + why);
            }
            if (!repo.scanned()) {
                throw new BadRequest(503, "models are loading");
            }
            throw new BadRequest(404, "no model '" + name + "'; served: " + repo.models().stream().map(ServedModel::name).sorted().toList());
        }
        label[0] = name;
        return m;
    }

    private String metadata(ServedModel m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = json.createGenerator(out)) {
            Signature s = m.signature();
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeArrayFieldStart("versions");
            g.writeString("1");
            g.writeEndArray();
            g.writeStringField("platform", "dlkit");
            for (String side : new String[] {"inputs", "outputs"}) {
                boolean in = side.equals("inputs");
                g.writeArrayFieldStart(side);
                for (int i = 0; i < (in ? s.inputs().size() : s.outputs().size()); i++) {
                    int[] shape = in ? s.inputShapes().get(i) : s.outputShapes().get(i);
                    g.writeStartObject();
                    g.writeStringField("name", in ? s.inputs().get(i) : s.outputs().get(i));
                    g.writeStringField("datatype", "FP32");
                    g.writeArrayFieldStart("shape");
                    g.writeNumber(-1);
                    for (int d : shape) {
                        g.writeNumber(d);
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void requireGet(String method) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new BadRequest(405, "method " + method + " not allowed here; use GET");
        }
    }

    private static void requirePost(String method) {
        if (!method.equals("POST")) {
            throw new BadRequest(405, "method " + method + " not allowed here; use POST");
        }
    }

    private static CompletableFuture<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }

    private static Reply ok(String json) {
        return reply(200, json);
    }

    private static Reply reply(int status, String json) {
        return new Reply(status, JSON_TYPE, json.getBytes(StandardCharsets.UTF_8));
    }

    Reply error(int status, String message) {
        return reply(status, "{\"error\":" + quote(message) + "}");
    }

    private static String quote(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }
}
