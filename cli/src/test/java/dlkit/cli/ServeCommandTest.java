package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dlkit.data.Npy;
import dlkit.serve.ModelServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dl serve as users run it: Keras files served with Keras' own outputs, token ids as INT64, bad arguments, SIGTERM. */
class ServeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();
    @TempDir
    Path dir;

    private JsonNode post(int port, String path, String body) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    private static void assertClose(float[] want, JsonNode got, String what) {
        assertEquals(want.length, got.size(), what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got.get(i).floatValue(), 1e-5, what + " value " + i);
        }
    }

    private static String flat(float[] v, int from, int count, boolean integers) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < count; i++) {
            sb.append(i == 0 ? "" : ",").append(integers ? String.valueOf((long) v[from + i]) : String.valueOf(v[from + i]));
        }
        return sb.append(']').toString();
    }

    @Test
    void kerasFilesAreServedWithKerasOutputsAndTokenIdsAsInt64() throws Exception {
        Path fixtures = KerasCommandTest.FIXTURES;
        Files.copy(fixtures.resolve("embedding_mask/model.keras"), dir.resolve("tokens.keras"));
        Files.copy(fixtures.resolve("functional/model.keras"), dir.resolve("functional.keras"));
        ModelServer server = ModelServer.builder(dir).port(0).loader(file -> ModelFiles.read(file, null)).start();
        try {
            for (int i = 0; i < 400 && !server.ready(); i++) {
                Thread.sleep(25);
            }
            int port = server.port();
            // Embedding with mask_zero: padded id sequences [3, 5] as INT64, Keras' outputs back.
            Npy.Array ids = Npy.read(fixtures.resolve("embedding_mask/x.npy"));
            String name = JSON.readTree(client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/models/tokens")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).get("inputs").get(0).get("name").asText();
            JsonNode out = post(port, "/v2/models/tokens/infer", "{\"inputs\":[{\"name\":\"" + name + "\",\"shape\":[3,5],\"datatype\":\"INT64\",\"data\":"
                    + flat(ids.values(), 0, 15, true) + "}]}");
            assertClose(Npy.read(fixtures.resolve("embedding_mask/y.npy")).values(), out.get("outputs").get(0).get("data"), "tokens");

            // Two named inputs, two named outputs, in TF Serving's row form.
            float[] a = Npy.read(fixtures.resolve("functional/x_a.npy")).values();
            float[] b = Npy.read(fixtures.resolve("functional/x_b.npy")).values();
            List<String> rows = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                rows.add("{\"a\":" + flat(a, 4 * i, 4, false) + ",\"b\":" + flat(b, 4 * i, 4, false) + "}");
            }
            JsonNode preds = post(port, "/v1/models/functional:predict", "{\"instances\":[" + String.join(",", rows) + "]}").get("predictions");
            for (String output : new String[] {"probs", "score"}) {
                float[] want = Npy.read(fixtures.resolve("functional/y_" + output + ".npy")).values();
                int width = want.length / 3;
                List<Float> got = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    preds.get(i).get(output).forEach(v -> got.add(v.floatValue()));
                }
                assertClose(want, JSON.valueToTree(got), output + " (" + width + " per sample)");
            }
        } finally {
            server.stop();
        }
    }

    @Test
    void badArgumentsExitWithTwoNamingWhatIsWrong() throws Exception {
        Path model = dir.resolve("m.keras");
        Files.copy(KerasCommandTest.FIXTURES.resolve("mlp/model.keras"), model);
        DlCommandTest.assertBadIn(dir, "no such model file or directory", "serve", dir.resolve("missing.dlk").toString());
        DlCommandTest.assertBadIn(dir, "--threads: expected at least 1, got 0", "serve", model.toString(), "--threads", "0");
        DlCommandTest.assertBadIn(dir, "max batch: expected at least 1 row, got 0", "serve", model.toString(), "--max-batch", "0");
        Path empty = Files.writeString(dir.resolve("token.txt"), "\n");
        DlCommandTest.assertBadIn(dir, "empty; expected the token on its first line", "serve", model.toString(), "--token-file", empty.toString());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            DlCommandTest.assertBadIn(dir, "cannot listen on 127.0.0.1:" + taken.getLocalPort(), "serve", model.toString(), "--port",
                    String.valueOf(taken.getLocalPort()));
        }
    }

    /** The real command in its own process: it prints its port, answers, and SIGTERM ends it with exit 0. */
    @Test
    void sigtermStopsTheCommandWithExitZero() throws Exception {
        Path model = dir.resolve("mlp.keras");
        Files.copy(KerasCommandTest.FIXTURES.resolve("mlp/model.keras"), model);
        Path err = dir.resolve("serve-err.txt");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                "dlkit.cli.Dl", "serve", model.toString(), "--port", "0").redirectError(err.toFile()).redirectOutput(dir.resolve("serve-out.txt").toFile())
                .start();
        try {
            int port = -1;
            Pattern listening = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)");
            for (int i = 0; i < 600 && port < 0 && p.isAlive(); i++) {
                Matcher m = listening.matcher(Files.readString(err));
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                } else {
                    Thread.sleep(50);
                }
            }
            assertTrue(port > 0, "dl serve printed its port: " + Files.readString(err));
            HttpResponse<String> ready = null;
            for (int i = 0; i < 400; i++) {
                ready = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    break;
                }
                Thread.sleep(25);
            }
            assertEquals(200, ready.statusCode(), ready.body());
            // The fixture's first sample (of 5: x [5, 6], Keras' y [5, 4]).
            float[] x = Npy.read(KerasCommandTest.FIXTURES.resolve("mlp/x.npy")).values();
            float[] want = Npy.read(KerasCommandTest.FIXTURES.resolve("mlp/y.npy")).values();
            JsonNode preds = post(port, "/v1/models/mlp:predict", "{\"instances\":[" + flat(x, 0, 6, false) + "]}").get("predictions");
            assertClose(Arrays.copyOf(want, 4), preds.get(0), "mlp, first sample");
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "stopped within 30 s");
            assertEquals(0, p.exitValue(), Files.readString(err));
            assertTrue(Files.readString(err).contains("dl serve: stopped"), Files.readString(err));
        } finally {
            p.destroyForcibly();
        }
    }
}
