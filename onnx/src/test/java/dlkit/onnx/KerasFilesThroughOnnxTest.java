package dlkit.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dlkit.data.Npy;
import dlkit.model.Model;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Keras' own files (the keras module's fixtures, written by Keras 3.15) read by dlkit, written as ONNX and run in ONNX
 * Runtime: Keras' outputs to 1e-5 — masks, return_state with initial states, Bidirectional, the functional graphs.
 */
class KerasFilesThroughOnnxTest {
    private static final Path FIXTURES = Path.of("..", "keras", "src", "test", "resources", "fixtures", "keras");
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    static Stream<String> fixtures() throws IOException {
        try (Stream<Path> s = Files.list(FIXTURES)) {
            return s.filter(p -> Files.exists(p.resolve("model.keras"))).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    private static Npy.Array npy(Path dir, String single, String prefix, String name) {
        Path one = dir.resolve(single);
        return Npy.read(Files.exists(one) ? one : dir.resolve(prefix + name + ".npy"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void onnxRuntimeGivesKerasOutputs(String name) throws Exception {
        Path dir = FIXTURES.resolve(name);
        Model model = Model.load(dir.resolve("model.keras"));
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession session = ENV.createSession(OnnxExport.toBytes(model), opts)) {
                for (String in : model.inputNames()) {
                    Npy.Array x = npy(dir, model.inputNames().size() == 1 ? "x.npy" : "-", "x_", in);
                    feeds.put(in, OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x.values()), x.shape()));
                }
                try (OrtSession.Result result = session.run(feeds)) {
                    List<String> outs = new ArrayList<>(model.outputNames());
                    for (String out : outs) {
                        Npy.Array y = npy(dir, outs.size() == 1 ? "y.npy" : "-", "y_", out);
                        OnnxTensor t = (OnnxTensor) result.get(out).orElseThrow();
                        assertArrayEquals(y.shape(), t.getInfo().getShape(), name + ": output " + out + " shape");
                        FloatBuffer got = t.getFloatBuffer();
                        double worst = 0;
                        for (int i = 0; i < y.values().length; i++) {
                            worst = Math.max(worst, Math.abs(got.get(i) - y.values()[i]));
                        }
                        assertTrue(worst <= 1e-5, name + ": output " + out + " differs from Keras by " + worst);
                    }
                }
            } finally {
                feeds.values().forEach(OnnxTensor::close);
            }
        }
    }
}
