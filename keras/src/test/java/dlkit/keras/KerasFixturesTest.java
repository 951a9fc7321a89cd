package dlkit.keras;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.config.Json;
import dlkit.data.ArrayDataset;
import dlkit.data.Npy;
import dlkit.model.FitOptions;
import dlkit.model.Model;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every model {@code src/test/resources/fixtures/make_keras_models.py} saved with Keras 3.15: loaded from {@code .keras}
 * and from JSON + {@code .weights.h5}, dlkit predicts Keras' outputs to 1e-5; written back as {@code .keras}, it reads
 * as the identical dlkit config with bit-identical weights.
 */
class KerasFixturesTest {
    static final double TOLERANCE = 1e-5;

    static Path fixtures() {
        try {
            return Path.of(KerasFixturesTest.class.getResource("/fixtures/keras").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<String> cases() throws IOException {
        try (Stream<Path> s = Files.list(fixtures())) {
            return s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    /** The inputs in the model's input order: x.npy, or x_NAME.npy per input. */
    static List<INDArray> inputs(Path dir, Model model) {
        List<INDArray> xs = new ArrayList<>();
        if (Files.exists(dir.resolve("x.npy"))) {
            xs.add(array(dir.resolve("x.npy")));
        } else {
            for (String name : model.inputNames()) {
                xs.add(array(dir.resolve("x_" + name + ".npy")));
            }
        }
        return xs;
    }

    static List<INDArray> expected(Path dir, Model model) {
        List<INDArray> ys = new ArrayList<>();
        if (Files.exists(dir.resolve("y.npy"))) {
            ys.add(array(dir.resolve("y.npy")));
        } else {
            for (String name : model.outputNames()) {
                ys.add(array(dir.resolve("y_" + name + ".npy")));
            }
        }
        return ys;
    }

    static INDArray array(Path p) {
        Npy.Array a = Npy.read(p);
        return Nd4j.create(a.values(), a.shape(), 'c');
    }

    static void assertClose(List<INDArray> expected, List<INDArray> actual, String what) {
        assertEquals(expected.size(), actual.size(), what + ": output count");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i).shape(), actual.get(i).shape(), what + ": output " + i + " shape");
            double diff = expected.get(i).sub(actual.get(i)).amaxNumber().doubleValue();
            assertTrue(diff <= TOLERANCE, what + ": output " + i + " differs from Keras by " + diff);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void kerasFilePredictsAsKeras(String name) {
        Path dir = fixtures().resolve(name);
        Model model = Model.load(dir.resolve("model.keras"));
        assertClose(expected(dir, model), model.predict(inputs(dir, model)), name + " (.keras)");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void jsonWithWeightsPredictsAsKeras(String name) {
        Path dir = fixtures().resolve(name);
        Model model = KerasFormat.readJson(dir.resolve("model.json"), null);
        assertClose(expected(dir, model), model.predict(inputs(dir, model)), name + " (JSON + .weights.h5)");
    }

    static Stream<String> stepCases() throws IOException {
        return cases().filter(c -> c.endsWith("_step"));
    }

    static Stream<String> legacyCases() throws IOException {
        return cases().filter(c -> Files.exists(fixtures().resolve(c).resolve("model.h5")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("legacyCases")
    void legacyH5PredictsAsKeras(String name) {
        Path dir = fixtures().resolve(name);
        Model model = Model.load(dir.resolve("model.h5"));
        assertClose(expected(dir, model), model.predict(inputs(dir, model)), name + " (legacy .h5)");
        if (name.equals("adam_step")) {
            assertTrue(model.isCompiled(), "training_config imported");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void writtenKerasReadsBackIdentically(String name, @TempDir Path tmp) {
        Model model = Model.load(fixtures().resolve(name).resolve("model.keras"));
        Path out = tmp.resolve("again.keras");
        model.save(out);
        Model again = Model.load(out);
        assertEquals(model.toJson(), again.toJson(), name + ": dlkit config after .keras round trip");
        Map<String, INDArray> a = model.getWeights();
        Map<String, INDArray> b = again.getWeights();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertEquals(a.get(k), b.get(k), name + ": weight " + k);
        }
        if (model.isCompiled()) {
            assertArrayEquals(model.optimizerState(), again.optimizerState(), name + ": optimizer state");
            assertEquals(model.iterations(), again.iterations());
        }
    }

    /** trainable=False layers load frozen (wrappers with their wrapped layer) and are written back as such. */
    @Test
    void frozenLayersStayFrozen() throws IOException {
        Model step = Model.load(fixtures().resolve("frozen_step/model.keras"));
        assertEquals(List.of("dense", "batch_normalization"), step.frozenLayers());
        assertEquals(4 * 6 + 4 + 4 * 3 + 3, step.trainableParamCount());
        Model wrappers = Model.load(fixtures().resolve("frozen_wrappers/model.keras"));
        // Keras numbers auto-generated names per process: the frozen ones are the first two layers after the Input
        assertEquals(List.of(wrappers.layers().get(1).name(), wrappers.layers().get(2).name()), wrappers.frozenLayers());
        assertEquals(List.of("Bidirectional", "TimeDistributed"), List.of(wrappers.layers().get(1).type(), wrappers.layers().get(2).type()));
        Path out = Files.createTempDirectory("frozen").resolve("again.keras");
        wrappers.save(out);
        assertEquals(wrappers.frozenLayers(), Model.load(out).frozenLayers());
    }

    /** One train step from the imported optimizer state lands on Keras' weights after the same step. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stepCases")
    void oneStepFromImportedStateMatchesKeras(String name) throws IOException {
        Path dir = fixtures().resolve(name);
        Model model = Model.load(dir.resolve("model.keras"));
        assertTrue(model.isCompiled(), "compile_config imported");
        assertEquals(name.startsWith("frozen") ? "adam" : name.substring(0, name.indexOf('_')), model.optimizer().type());
        assertEquals(3, model.iterations());
        INDArray x = array(dir.resolve("x.npy"));
        INDArray y = array(dir.resolve("labels.npy")).reshape(-1, 1);
        model.fit(ArrayDataset.of(x, y), FitOptions.epochs(1).batchSize(x.rows()).shuffle(false));
        JsonNode after = Json.MAPPER.readTree(dir.resolve("after_step.json").toFile());
        Map<String, INDArray> w = model.getWeights();
        for (var e : model.getWeights().entrySet()) {
            JsonNode values = after.get(model.name() + "/" + e.getKey().replace(".", "/"));
            float[] got = e.getValue().dup('c').data().asFloat();
            assertEquals(values.size(), got.length, e.getKey());
            for (int i = 0; i < got.length; i++) {
                assertEquals(values.get(i).asDouble(), got[i], TOLERANCE, e.getKey() + "[" + i + "]");
            }
        }
    }
}
