package dlkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Request bodies from strangers, to a real server on loopback: the first byte picks the endpoint (infer or predict)
 * and the model (one input [2, 3], or two inputs), the rest is the body. Every answer must be JSON with a status
 * below 500, and the server must still answer its health check.
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
        String path = PATHS[data.length == 0 ? 0 : (data[0] & 0xff) % PATHS.length];
        byte[] body = data.length == 0 ? data : Arrays.copyOfRange(data, 1, data.length);
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 500) {
            throw new AssertionError(path + " answered " + r.statusCode() + ": " + r.body());
        }
        JSON.readTree(r.body());
        if (r.statusCode() != 200 && !JSON.readTree(r.body()).has("error")) {
            throw new AssertionError(path + " answered " + r.statusCode() + " without an error message: " + r.body());
        }
    }
}
