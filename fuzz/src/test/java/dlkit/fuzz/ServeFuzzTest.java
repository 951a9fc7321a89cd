package dlkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dlkit.layers.Input;
import dlkit.layers.LayerCall;
import dlkit.layers.core.Dense;
import dlkit.layers.merge.Concatenate;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.serve.ModelServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Request bodies from strangers, to a real server on loopback: the first byte picks the endpoint (infer or predict)
 * and the model (one input [2, 3], or two inputs) and, with its high bit, a binary-extension body whose JSON length
 * is in the next two bytes; the rest is the body. Every answer must be JSON (or, in binary, start with its JSON
 * header) with a status below 500.
 */
class ServeFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static ModelServer server;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final String[] PATHS = {"/v2/models/grid/infer", "/v1/models/grid:predict", "/v2/models/pair/infer", "/v1/models/pair:predict"};

    private static synchronized ModelServer server() {
        if (server == null) {
            try {
                Path dir = Files.createTempDirectory("dlkit-serve-fuzz");
                Model grid = Sequential.of(Input.of(2, 3).named("x"), dlkit.layers.reshaping.Flatten.of(), Dense.of(2));
                grid.initialize(1);
                grid.save(dir.resolve("grid.dlk"));
                Input a = Input.of(2).named("a");
                Input b = Input.of(1).named("b");
                LayerCall h = Dense.of(3).apply(Concatenate.of().apply(a, b));
                Model pair = Model.of(List.of(a, b), List.of(Dense.of(2).named("y").apply(h), Dense.of(1).named("z").apply(h)));
                pair.initialize(2);
                pair.save(dir.resolve("pair.dlk"));
                server = ModelServer.builder(dir).port(0).maxBatch(4).maxRequestBytes(1 << 16).start();
                for (int i = 0; i < 400 && !server.ready(); i++) {
                    Thread.sleep(25);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return server;
    }

    @FuzzTest(maxDuration = "60s")
    void requestBody(byte[] data) throws Exception {
        ModelServer s = server();
        int selector = data.length == 0 ? 0 : data[0] & 0xff;
        String path = PATHS[selector % PATHS.length];
        int from = Math.min(1, data.length);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path));
        // The high bit: a body in the binary data extension, its JSON length in the next two bytes.
        if ((selector & 0x80) != 0 && data.length >= 3) {
            request.header("Inference-Header-Content-Length", String.valueOf((data[1] & 0xff) << 8 | data[2] & 0xff));
            from = 3;
        }
        byte[] body = Arrays.copyOfRange(data, from, data.length);
        HttpResponse<byte[]> r = CLIENT.send(request.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        int jsonLength = r.headers().firstValue("Inference-Header-Content-Length").map(Integer::parseInt).orElse(r.body().length);
        String json = new String(r.body(), 0, jsonLength, StandardCharsets.UTF_8);
        if (r.statusCode() >= 500) {
            throw new AssertionError(path + " answered " + r.statusCode() + ": " + json);
        }
        JsonNode answer = JSON.readTree(json);
        if (r.statusCode() != 200 && !answer.has("error")) {
            throw new AssertionError(path + " answered " + r.statusCode() + " without an error message: " + json);
        }
    }
}
