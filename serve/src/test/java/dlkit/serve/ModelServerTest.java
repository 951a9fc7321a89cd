package dlkit.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.LayerCall;
import dlkit.layers.core.Dense;
import dlkit.layers.merge.Concatenate;
import dlkit.model.Model;
import dlkit.model.Sequential;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A real server on a free loopback port, asked by java.net.http: every endpoint, both protocols, errors, reload, stop. */
class ModelServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    @TempDir
    Path dir;
    private ModelServer server;
    private Model mlp;
    private Model pair;

    @BeforeEach
    void start() throws Exception {
        mlp = Sequential.of(Input.of(6), Dense.of(8).activation(Activation.RELU), Dense.of(3).activation(Activation.SOFTMAX)).named("mlp");
        mlp.initialize(1);
        mlp.save(dir.resolve("mlp.dlk"));
        Input a = Input.of(2).named("a");
        Input b = Input.of(3).named("b");
        LayerCall h = Dense.of(4).activation(Activation.TANH).apply(Concatenate.of().apply(a, b));
        pair = Model.of(List.of(a, b), List.of(Dense.of(2).named("y").apply(h), Dense.of(1).named("z").apply(h)));
        pair.initialize(2);
        pair.save(dir.resolve("pair.dlk"));
        server = ModelServer.builder(dir).port(0).maxBatch(8).maxDelayMillis(2).pollMillis(50).token("s3cret").maxRequestBytes(1 << 20).start();
        for (int i = 0; i < 200 && !server.ready(); i++) {
            Thread.sleep(25);
        }
        assertTrue(server.ready(), "models loaded");
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private HttpResponse<String> get(String path, boolean auth) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET();
        if (auth) {
            r.header("Authorization", "Bearer s3cret");
        }
        return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(postRequest(path, body), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest postRequest(String path, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).header("Authorization", "Bearer s3cret")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static float[] rows(long seed, int n, int width) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n * width];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static String flat(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ",").append(v[i]);
        }
        return sb.append(']').toString();
    }

    private static String nested(float[] v, int width) {
        List<String> rows = new ArrayList<>();
        for (int r = 0; r < v.length / width; r++) {
            float[] row = new float[width];
            System.arraycopy(v, r * width, row, 0, width);
            rows.add(flat(row));
        }
        return "[" + String.join(",", rows) + "]";
    }

    private static void assertData(float[] want, JsonNode data) {
        assertEquals(want.length, data.size());
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], data.get(i).floatValue(), 1e-6, "value " + i);
        }
    }

    @Test
    void healthMetadataAndReadyFollowTheOpenInferenceProtocol() throws Exception {
        HttpResponse<String> live = get("/v2/health/live", false);
        assertEquals("{\"live\":true}", live.body());
        assertTrue(live.headers().firstValue("Server").isEmpty(), "no server version sent: " + live.headers().map());
        assertEquals(200, get("/v2/health/ready", false).statusCode());
        JsonNode meta = JSON.readTree(get("/v2/models/pair", true).body());
        assertEquals("pair", meta.get("name").asText());
        assertEquals("[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[-1,2]},{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[-1,3]}]",
                meta.get("inputs").toString());
        assertEquals("[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[-1,2]},{\"name\":\"z\",\"datatype\":\"FP32\",\"shape\":[-1,1]}]",
                meta.get("outputs").toString());
        assertEquals(200, get("/v2/models/mlp/ready", true).statusCode());
        assertEquals(200, get("/v2/models/mlp/versions/1/ready", true).statusCode());
        assertEquals(200, get("/v1/models/mlp", true).statusCode());
    }

    @Test
    void inferAndPredictEqualModelPredictInBothProtocols() throws Exception {
        float[] x = rows(3, 5, 6);
        float[] want = mlp.predict(Nd4j.create(x, new long[] {5, 6}, 'c')).data().asFloat();
        HttpResponse<String> r = post("/v2/models/mlp/infer",
                "{\"id\":\"q1\",\"inputs\":[{\"name\":\"" + mlp.inputNames().get(0) + "\",\"shape\":[5,6],\"datatype\":\"FP32\",\"data\":" + nested(x, 6) + "}]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode out = JSON.readTree(r.body());
        assertEquals("q1", out.get("id").asText());
        assertEquals("[5,3]", out.get("outputs").get(0).get("shape").toString());
        assertData(want, out.get("outputs").get(0).get("data"));

        r = post("/v1/models/mlp:predict", "{\"instances\":" + nested(x, 6) + "}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode preds = JSON.readTree(r.body()).get("predictions");
        assertEquals(5, preds.size());
        float[] got = new float[15];
        for (int i = 0; i < 15; i++) {
            got[i] = preds.get(i / 3).get(i % 3).floatValue();
        }
        assertData(want, JSON.valueToTree(got));
        r = post("/v1/models/mlp:predict", "{\"inputs\":" + nested(x, 6) + "}");
        assertEquals(3, JSON.readTree(r.body()).get("outputs").get(4).size());
    }

    @Test
    void aTwoInputModelTakesNamedInputsAndAnswersEveryOutput() throws Exception {
        float[] xa = rows(4, 3, 2);
        float[] xb = rows(5, 3, 3);
        List<INDArray> want = pair.predict(List.of(Nd4j.create(xa, new long[] {3, 2}, 'c'), Nd4j.create(xb, new long[] {3, 3}, 'c')));
        HttpResponse<String> r = post("/v2/models/pair/infer", "{\"inputs\":[{\"name\":\"b\",\"shape\":[3,3],\"datatype\":\"FP32\",\"data\":" + flat(xb)
                + "},{\"name\":\"a\",\"shape\":[3,2],\"datatype\":\"FP64\",\"data\":" + flat(xa) + "}],\"outputs\":[{\"name\":\"z\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode outs = JSON.readTree(r.body()).get("outputs");
        assertEquals(1, outs.size());
        assertEquals("z", outs.get(0).get("name").asText());
        assertData(want.get(1).data().asFloat(), outs.get(0).get("data"));

        StringBuilder instances = new StringBuilder("[");
        for (int i = 0; i < 3; i++) {
            instances.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"a\":[%s,%s],\"b\":[%s,%s,%s]}",
                    xa[2 * i], xa[2 * i + 1], xb[3 * i], xb[3 * i + 1], xb[3 * i + 2]));
        }
        r = post("/v1/models/pair:predict", "{\"instances\":" + instances + "]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode preds = JSON.readTree(r.body()).get("predictions");
        assertEquals(want.get(1).getFloat(2, 0), preds.get(2).get("z").get(0).floatValue(), 1e-6);
        assertEquals(want.get(0).getFloat(1, 1), preds.get(1).get("y").get(1).floatValue(), 1e-6);
    }

    /** JSON, then raw bytes: a body in Triton's binary data extension, sent with its JSON length header. */
    private HttpResponse<byte[]> postBinary(String path, String json, byte[] tensors, boolean header) throws IOException, InterruptedException {
        byte[] head = json.getBytes(StandardCharsets.UTF_8);
        byte[] body = Arrays.copyOf(head, head.length + tensors.length);
        System.arraycopy(tensors, 0, body, head.length, tensors.length);
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).header("Authorization", "Bearer s3cret")
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (header) {
            r.header("Inference-Header-Content-Length", String.valueOf(head.length));
        }
        return client.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static byte[] littleEndian(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    private static byte[] littleEndianDoubles(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putDouble(f);
        }
        return b.array();
    }

    @Test
    void theBinaryDataExtensionCarriesRawLittleEndianTensorsBothWays() throws Exception {
        float[] xa = rows(6, 4, 2);
        float[] xb = rows(7, 4, 3);
        List<INDArray> want = pair.predict(List.of(Nd4j.create(xa, new long[] {4, 2}, 'c'), Nd4j.create(xb, new long[] {4, 3}, 'c')));
        byte[] tensors = Arrays.copyOf(littleEndianDoubles(xb), 8 * 12 + 4 * 8);
        System.arraycopy(littleEndian(xa), 0, tensors, 8 * 12, 4 * 8);
        // b in FP64 first, then a in FP32, in the order listed; y answered in binary, z in JSON.
        HttpResponse<byte[]> r = postBinary("/v2/models/pair/infer", "{\"inputs\":[{\"name\":\"b\",\"shape\":[4,3],\"datatype\":\"FP64\",\"parameters\":{\"binary_data_size\":96}},"
                + "{\"name\":\"a\",\"shape\":[4,2],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":32}}],"
                + "\"outputs\":[{\"name\":\"y\",\"parameters\":{\"binary_data\":true}},{\"name\":\"z\"}]}", tensors, true);
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("application/octet-stream", r.headers().firstValue("Content-Type").orElseThrow());
        int jsonLength = Integer.parseInt(r.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        JsonNode outs = JSON.readTree(new String(r.body(), 0, jsonLength, StandardCharsets.UTF_8)).get("outputs");
        assertEquals("y", outs.get(0).get("name").asText());
        assertEquals(32, outs.get(0).get("parameters").get("binary_data_size").asInt());
        assertTrue(outs.get(0).get("data") == null, "y's data is binary");
        assertEquals(jsonLength + 32, r.body().length);
        float[] y = new float[8];
        ByteBuffer.wrap(r.body(), jsonLength, 32).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(y);
        float[] wantY = want.get(0).data().asFloat();
        for (int i = 0; i < 8; i++) {
            assertEquals(wantY[i], y[i], 1e-6, "y " + i);
        }
        assertData(want.get(1).data().asFloat(), outs.get(1).get("data"));

        // binary_data_output: every output in binary, in the model's order.
        float[] x = rows(8, 2, 6);
        r = postBinary("/v2/models/mlp/infer", "{\"parameters\":{\"binary_data_output\":true},\"inputs\":[{\"name\":\"" + mlp.inputNames().get(0)
                + "\",\"shape\":[2,6],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":48}}]}", littleEndian(x), true);
        assertEquals(200, r.statusCode());
        jsonLength = Integer.parseInt(r.headers().firstValue("Inference-Header-Content-Length").orElseThrow());
        float[] got = new float[6];
        ByteBuffer.wrap(r.body(), jsonLength, 24).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(got);
        float[] wantMlp = mlp.predict(Nd4j.create(x, new long[] {2, 6}, 'c')).data().asFloat();
        for (int i = 0; i < 6; i++) {
            assertEquals(wantMlp[i], got[i], 1e-6, "mlp " + i);
        }

        String one = "{\"inputs\":[{\"name\":\"" + mlp.inputNames().get(0) + "\",\"shape\":[1,6],\"datatype\":\"FP32\",\"parameters\":{\"binary_data_size\":%d}}]}";
        byte[] six = littleEndian(rows(9, 1, 6));
        assertError(400, text(postBinary("/v2/models/mlp/infer", String.format(Locale.ROOT, one, 24), six, false)), "needs the header Inference-Header-Content-Length");
        assertError(400, text(postBinary("/v2/models/mlp/infer", String.format(Locale.ROOT, one, 20), six, true)), "24 bytes after the JSON; the inputs' binary_data_size add up to 20");
        assertError(400, text(postBinary("/v2/models/mlp/infer", String.format(Locale.ROOT, one, 48), six, true)), "only 24 are left");
        assertError(400, text(postBinary("/v2/models/mlp/infer", String.format(Locale.ROOT, one, 22), six, true)), "not a whole number of FP32 values");
        assertError(400, text(postBinary("/v2/models/mlp/infer", String.format(Locale.ROOT, one, 16), Arrays.copyOf(six, 16), true)), "its binary data has 4");
        HttpResponse<String> bad = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v2/models/mlp/infer"))
                .header("Authorization", "Bearer s3cret").header("Inference-Header-Content-Length", "9999")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertError(400, bad, "expected 0 to the body's 2");
    }

    @Test
    void everyErrorIsJsonWithItsStatusAndSaysWhatWasExpected() throws Exception {
        String in = mlp.inputNames().get(0);
        assertError(401, get("/v2/models/mlp", false), "bearer token");
        assertError(404, get("/v2/models/nope", true), "no model 'nope'");
        assertError(404, get("/v3/whatever", true), "no endpoint /v3/whatever");
        assertError(400, post("/v2/models/mlp/infer", "{\"inputs\":[{\"name\":\"" + in + "\",\"shape\":[1,5],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5]}]}"),
                "expected shape [n, 6] with datatype FP32");
        assertError(400, post("/v2/models/mlp/infer", "{\"inputs\":[{\"name\":\"" + in + "\",\"shape\":[1,6],\"datatype\":\"BYTES\",\"data\":[1,2,3,4,5,6]}]}"),
                "datatype BYTES is not supported");
        assertError(400, post("/v2/models/mlp/infer", "{\"inputs\":[{\"name\":\"" + in + "\",\"shape\":[2,6],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5,6]}]}"),
                "holds 12 values, \\\"data\\\" has 6");
        assertError(400, post("/v2/models/mlp/infer", "{\"inputs\":[{\"name\":\"" + in + "\",\"shape\":[1,6],\"datatype\":\"INT32\",\"data\":[1,2,3,4,5,6.5]}]}"),
                "takes integers");
        assertError(400, post("/v2/models/pair/infer", "{\"inputs\":[{\"name\":\"a\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1,2]}]}"),
                "missing [b]");
        assertError(400, post("/v1/models/mlp:predict", "{\"instances\":[[1,2,3,4,5,6],[1,2]]}"), "ragged");
        assertError(400, post("/v1/models/mlp:predict", "{\"instances\":[[1,2,3"), "not valid JSON");
        assertError(400, post("/v1/models/mlp:predict", "[]"), "expected a JSON object");
        assertError(405, get("/v2/models/mlp/infer", true), "use POST");
        assertError(413, post("/v1/models/mlp:predict", "{\"instances\":[" + "0,".repeat(1 << 20) + "0]}"), "at most");
        assertEquals(200, get("/v2/health/live", false).statusCode(), "still up");
        String metrics = get("/metrics", true).body();
        assertTrue(metrics.contains("dlkit_request_errors_total{code=\"400\",endpoint=\"infer\",model=\"mlp\"}"), metrics);
        assertTrue(metrics.contains("dlkit_request_errors_total{code=\"404\",endpoint=\"metadata\",model=\"\"}"), metrics);
    }

    private static void assertError(int status, HttpResponse<String> r, String contains) throws IOException {
        assertError(status, new Answer(r.statusCode(), r.body()), contains);
    }

    private record Answer(int status, String body) {}

    private static Answer text(HttpResponse<byte[]> r) {
        return new Answer(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
    }

    private static void assertError(int status, Answer answer, String contains) throws IOException {
        assertEquals(status, answer.status(), answer.body());
        JsonNode e = JSON.readTree(answer.body());
        String text = e.get("error").toString();
        assertTrue(text.contains(contains), "'" + contains + "' in " + text);
        assertTrue(!text.contains("at dlkit.") && !text.contains("Exception"), "no stack trace: " + text);
    }

    @Test
    void concurrentRequestsAreBatchedAndEachGetsItsOwnRows() throws Exception {
        // 16 connections, each sending its rows one request after another: requests overlap, and the ones that
        // arrive while the predictor is busy share a batch.
        int clients = 16;
        int each = 12;
        float[] x = rows(9, clients * each, 6);
        float[] want = mlp.predict(Nd4j.create(x, new long[] {clients * each, 6}, 'c')).data().asFloat();
        double runsBefore = batchRuns();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<float[]>> got = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int first = c * each;
                got.add(pool.submit(() -> {
                    HttpClient own = HttpClient.newHttpClient();
                    float[] answers = new float[each * 3];
                    for (int k = 0; k < each; k++) {
                        float[] row = Arrays.copyOfRange(x, (first + k) * 6, (first + k + 1) * 6);
                        HttpResponse<String> r = own.send(postRequest("/v1/models/mlp:predict", "{\"instances\":[" + flat(row) + "]}"),
                                HttpResponse.BodyHandlers.ofString());
                        assertEquals(200, r.statusCode(), r.body());
                        JsonNode p = JSON.readTree(r.body()).get("predictions").get(0);
                        for (int j = 0; j < 3; j++) {
                            answers[k * 3 + j] = p.get(j).floatValue();
                        }
                    }
                    return answers;
                }));
            }
            for (int c = 0; c < clients; c++) {
                float[] answers = got.get(c).get(60, TimeUnit.SECONDS);
                for (int i = 0; i < answers.length; i++) {
                    assertEquals(want[c * each * 3 + i], answers[i], 1e-6, "client " + c + ", value " + i);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        double runs = batchRuns() - runsBefore;
        assertTrue(runs < clients * each, runs + " predictor runs for " + clients * each + " requests: none shared a batch");
    }

    private double batchRuns() throws IOException, InterruptedException {
        String metrics = get("/metrics", true).body();
        return metrics.lines().filter(l -> l.startsWith("dlkit_batch_size_count{model=\"mlp\"}")).findFirst()
                .map(l -> Double.parseDouble(l.split(" ")[1])).orElse(0.0);
    }

    @Test
    void aReplacedModelIsReloadedAndACorruptReplacementKeepsTheOldOne() throws Exception {
        float[] x = rows(11, 1, 6);
        String body = "{\"instances\":[" + flat(x) + "]}";
        float before = JSON.readTree(post("/v1/models/mlp:predict", body).body()).get("predictions").get(0).get(0).floatValue();
        Model other = Sequential.of(Input.of(6), Dense.of(8).activation(Activation.RELU), Dense.of(3).activation(Activation.SOFTMAX));
        other.initialize(99);
        float want = other.predict(Nd4j.create(x, new long[] {1, 6}, 'c')).getFloat(0, 0);
        Path tmp = dir.resolve("next.tmp");
        other.save(dir.resolve("next.dlk"));
        Files.move(dir.resolve("next.dlk"), tmp);
        Files.move(tmp, dir.resolve("mlp.dlk"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        float now = before;
        for (int i = 0; i < 200 && now == before; i++) {
            Thread.sleep(25);
            now = JSON.readTree(post("/v1/models/mlp:predict", body).body()).get("predictions").get(0).get(0).floatValue();
        }
        assertEquals(want, now, 1e-6, "the replacement serves");
        Files.writeString(tmp, "not a zip");
        Files.move(tmp, dir.resolve("mlp.dlk"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Thread.sleep(400);
        HttpResponse<String> r = post("/v1/models/mlp:predict", body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(want, JSON.readTree(r.body()).get("predictions").get(0).get(0).floatValue(), 1e-6, "the corrupt file did not replace it");
    }

    @Test
    void stopAnswersEveryRequestInFlight() throws Exception {
        float[] x = rows(13, 64, 6);
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int c = 0; c < 64; c++) {
            replies.add(client.sendAsync(postRequest("/v1/models/mlp:predict", "{\"instances\":" + nested(x, 6) + "}"), HttpResponse.BodyHandlers.ofString()));
        }
        Thread.sleep(20);
        server.stop();
        int answered = 0;
        for (CompletableFuture<HttpResponse<String>> f : replies) {
            try {
                HttpResponse<String> r = f.join();
                if (r.statusCode() == 503) {
                    // Arrived after stopping began: refused in the API's form, not dropped.
                    assertError(503, r, "shutting down");
                    continue;
                }
                assertEquals(200, r.statusCode(), r.body());
                assertEquals(64, JSON.readTree(r.body()).get("predictions").size());
                answered++;
            } catch (java.util.concurrent.CompletionException e) {
                // Not yet accepted when the connector closed: refused, never half-answered.
                assertTrue(e.getCause() instanceof IOException, String.valueOf(e.getCause()));
            }
        }
        assertTrue(answered > 0, "requests in flight were answered");
    }
}
