package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.ModelFileException;
import dlkit.files.AtomicFile;
import dlkit.io.Safetensors;
import dlkit.layers.Activation;
import dlkit.layers.Initializer;
import dlkit.layers.Input;
import dlkit.layers.Regularizer;
import dlkit.layers.core.ActivationLayer;
import dlkit.layers.core.Dense;
import dlkit.layers.regularization.Dropout;
import dlkit.layers.reshaping.Flatten;
import dlkit.layers.reshaping.Reshape;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.optim.Nadam;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ModelFilesTest {
    @TempDir
    Path dir;

    static Model everyLayer() {
        Model m = new Sequential("all_layers", java.util.List.of(
                Input.of(2, 6),
                dlkit.layers.convolution.Conv1D.of(6, 1).activation(Activation.TANH),
                dlkit.layers.recurrent.Bidirectional.of(dlkit.layers.recurrent.LSTM.of(3).returnSequences(true)),
                Flatten.of(),
                Dense.of(8).activation(Activation.GELU).kernelInitializer(Initializer.HE_NORMAL).kernelRegularizer(Regularizer.l1l2(0.001, 0.002)),
                dlkit.layers.normalization.BatchNormalization.of().momentum(0.9),
                Dropout.of(0.25).seed(5L),
                Reshape.of(2, -1),
                Dense.of(5).useBias(false).kernelInitializer(Initializer.ORTHOGONAL).named("proj"),
                Flatten.of(),
                Dense.of(3).biasInitializer(Initializer.constant(0.1)),
                ActivationLayer.of(Activation.SOFTMAX)), dlkit.tensor.DType.FLOAT32);
        m.compile(Nadam.of(0.002).clipnorm(1.0), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY, Metric.topK(2));
        return m;
    }

    @Test
    void configRoundTripsExactly() {
        Model m = everyLayer();
        String json = m.toJson();
        assertTrue(json.contains("\"format\" : \"dlkit-model\"") && json.contains("\"version\" : 1"), json);
        Model back = Model.fromJson(json);
        assertEquals(json, back.toJson());
        assertEquals(m.paramCount(), back.paramCount());
        assertEquals(m.outputShapes(), back.outputShapes());
    }

    @Test
    void configDefaultsFollowKeras() {
        String json = "{\"layers\": [{\"type\": \"Input\", \"shape\": [3]}, {\"type\": \"Dense\", \"units\": 2}],"
                + " \"compile\": {\"optimizer\": \"adam\", \"loss\": \"mse\"}}";
        Model m = Model.fromJson(json);
        Dense.Config d = (Dense.Config) m.layers().get(1).config();
        assertEquals(Activation.LINEAR, d.activation());
        assertTrue(d.useBias());
        assertEquals(Initializer.GLOROT_UNIFORM, d.kernelInitializer());
        assertEquals(0.001, m.optimizer().learningRate());
        assertEquals(1e-7, ((dlkit.optim.Adam) m.optimizer()).epsilon());
    }

    @Test
    void configErrorsNameTheJsonPath() {
        String base = "{\"layers\": [{\"type\": \"Input\", \"shape\": [3]}, %s], \"compile\": %s}";
        assertMessage(String.format(base, "{\"type\": \"Dense\", \"units\": -4}", "{\"loss\": \"mse\"}"), "layers[1].units: expected a positive integer, got -4");
        assertMessage(String.format(base, "{\"type\": \"Dens\", \"units\": 4}", "{\"loss\": \"mse\"}"), "layers[1].type: unknown layer type \"Dens\"; did you mean \"Dense\"?");
        assertMessage(String.format(base, "{\"type\": \"Dense\", \"units\": 4}", "{\"loss\": \"mse\", \"optimizer\": {\"type\": \"adamm\"}}"), "compile.optimizer.type: unknown optimizer \"adamm\"; did you mean \"adam\"?");
        assertMessage(String.format(base, "{\"type\": \"Dense\", \"units\": 4}", "{\"loss\": \"mse\", \"optimizer\": {\"type\": \"sgd\", \"learning_rate\": \"fast\"}}"), "compile.optimizer.learning_rate: expected a finite number, got \"fast\"");
        assertMessage(String.format(base, "{\"type\": \"Dense\", \"units\": 4}", "{\"loss\": \"mse\", \"optimizer\": {\"type\": \"sgd\", \"learning_rate\": -1}}"), "compile.optimizer.learning_rate: expected a finite number >= 0, got -1.0");
        assertMessage(String.format(base, "{\"type\": \"Dense\", \"units\": 4}", "{\"loss\": \"cross_entropy\"}"), "compile.loss: unknown loss \"cross_entropy\"");
        // JSON null where a metric or loss goes (found by the config fuzz target: it reached compile as a Java null)
        assertMessage(String.format(base, "{\"type\": \"Dense\", \"units\": 4}", "{\"loss\": \"mse\", \"metrics\": [null, \"mae\"]}"), "compile.metrics[0]: expected a metric, got null");
        assertMessage(String.format(base, "{\"type\": \"Dense\", \"units\": 4}", "{\"loss\": null}"), "compile.loss");
        assertMessage("{\"layers\": [{\"type\": \"Input\", \"shape\": [3]}, {\"type\": \"Dense\", \"units\": 4}], \"colour\": 1}", "colour: unknown key");
        assertMessage("{\"layers\": [", "malformed JSON at line 1");
        assertMessage("{\"version\": 9, \"layers\": []}", "version: this file is format version 9");
    }

    static void assertMessage(String json, String expectedStart) {
        ConfigException e = assertThrows(ConfigException.class, () -> Model.fromJson(json));
        assertTrue(e.getMessage().contains(expectedStart), "expected \"" + expectedStart + "\" in: " + e.getMessage());
    }

    @Test
    void archiveRoundTripsWeightsOptimizerStateAndContinuesTrainingBitIdentically() {
        var data = TrainingTest.blobs(200, 9);
        var reshaped = new dlkit.data.ArrayDataset(flatten(data), dlkit.tensor.Shape.of(2, 6), labels(data), 1);
        Model straight = everyLayer();
        straight.fit(reshaped, FitOptions.epochs(3).batchSize(40).seed(3));

        Model first = everyLayer();
        first.fit(reshaped, FitOptions.epochs(2).batchSize(40).seed(3));
        Path file = dir.resolve("m.dlk");
        first.save(file);
        Model loaded = Model.load(file);
        assertEquals(first.toJson(), loaded.toJson());
        assertEquals(first.iterations(), loaded.iterations());
        assertArrayEquals(first.optimizerState(), loaded.optimizerState());
        INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 7, 2, 6);
        assertEquals(first.predict(x), loaded.predict(x));
        loaded.fit(reshaped, FitOptions.epochs(3).batchSize(40).seed(3).initialEpoch(2));
        for (var e : straight.getWeights().entrySet()) {
            assertArrayEquals(e.getValue().data().asFloat(), loaded.getWeights().get(e.getKey()).data().asFloat(), e.getKey());
        }
    }

    static float[] flatten(dlkit.data.ArrayDataset d) {
        float[] x = new float[d.count() * 12];
        for (int i = 0; i < d.count(); i++) {
            float[] f = d.features(i);
            for (int j = 0; j < 12; j++) {
                x[i * 12 + j] = f[j % 4] + j * 0.01f;
            }
        }
        return x;
    }

    static float[] labels(dlkit.data.ArrayDataset d) {
        float[] y = new float[d.count()];
        for (int i = 0; i < y.length; i++) {
            y[i] = d.label(i, 0);
        }
        return y;
    }

    // ---- files from strangers ----

    static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    Map<String, byte[]> validEntries() throws IOException {
        Model m = Sequential.of(Input.of(3), Dense.of(2));
        m.initialize(1);
        Path f = dir.resolve("valid.dlk");
        m.save(f);
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (var z = new java.util.zip.ZipFile(f.toFile())) {
            for (var en = z.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                out.put(e.getName(), z.getInputStream(e).readAllBytes());
            }
        }
        return out;
    }

    String loadError(Map<String, byte[]> entries) throws IOException {
        Path f = dir.resolve("bad.dlk");
        Files.write(f, zip(entries));
        return assertThrows(ModelFileException.class, () -> Model.load(f)).getMessage();
    }

    @Test
    void rejectsPathTraversalEntries() throws IOException {
        var e = validEntries();
        e.put("../../etc/evil", new byte[] {1});
        assertTrue(loadError(e).contains("unexpected archive entry \"../../etc/evil\""));
    }

    @Test
    void rejectsZipBombsBeforeAllocatingThem() throws IOException {
        var e = validEntries();
        e.put("weights.safetensors", new byte[64 * 1024 * 1024]); // 64 MB of zeros: ~64 KB compressed
        String msg = loadError(e);
        assertTrue(msg.contains("weights.safetensors") && (msg.contains("expands beyond") || msg.contains("declares")), msg);
    }

    @Test
    void rejectsMissingEntriesAndNonZips() throws IOException {
        var e = validEntries();
        e.remove("weights.safetensors");
        assertTrue(loadError(e).contains("missing weights.safetensors"));
        Path notZip = dir.resolve("text.dlk");
        Files.writeString(notZip, "hello");
        assertTrue(assertThrows(ModelFileException.class, () -> Model.load(notZip)).getMessage().contains("not a valid .dlk archive"));
        assertTrue(assertThrows(ModelFileException.class, () -> Model.load(dir.resolve("absent.dlk"))).getMessage().contains("no such file"));
    }

    @Test
    void rejectsWeightsThatDisagreeWithTheConfig() throws IOException {
        var e = validEntries();
        Map<String, INDArray> w = new LinkedHashMap<>();
        w.put("dense.kernel", Nd4j.zeros(4, 2));
        w.put("dense.bias", Nd4j.zeros(2));
        e.put("weights.safetensors", Safetensors.write(w, Map.of()));
        String msg = loadError(e);
        assertTrue(msg.contains("dense.kernel") && msg.contains("[4, 2]") && msg.contains("[3, 2]"), msg);
    }

    @Test
    void safetensorsHeaderChecks() {
        Map<String, INDArray> w = new LinkedHashMap<>();
        w.put("a", Nd4j.ones(2, 3));
        w.put("b", Nd4j.ones(4));
        byte[] good = Safetensors.write(w, Map.of("k", "v"));
        var c = Safetensors.read(good, "f");
        assertArrayEquals(new long[] {2, 3}, c.tensors().get("a").shape());
        assertEquals("v", c.metadata().get("k"));

        assertTrue(err(java.util.Arrays.copyOf(good, 5)).contains("shorter than the 8-byte header length"));
        assertTrue(err(java.util.Arrays.copyOf(good, good.length - 4)).contains("fall outside"));
        byte[] huge = good.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 200L * 1024 * 1024);
        assertTrue(err(huge).contains("header length 209715200 is outside"));
        assertTrue(err(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12)).contains("overlap"));
        assertTrue(err(withHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)).contains("needs 12 bytes"));
        assertTrue(err(withHeader("{\"a\":{\"dtype\":\"I8\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8)).contains("dtype I8 is not supported"));
        assertTrue(err(withHeader("not json", 8)).contains("not valid JSON"));
    }

    @Test
    void safetensorsBytesDoNotDependOnTheMetadataMapsOrder() {
        Map<String, INDArray> w = Map.of("a", Nd4j.ones(2));
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("format", "dlkit");
        forward.put("dtype", "float32");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("dtype", "float32");
        backward.put("format", "dlkit");
        assertArrayEquals(Safetensors.write(w, forward), Safetensors.write(w, backward));
    }

    static byte[] withHeader(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }

    static String err(byte[] bytes) {
        return assertThrows(ModelFileException.class, () -> Safetensors.read(bytes, "f")).getMessage();
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTempFiles() throws IOException {
        Path f = dir.resolve("keep.dlk");
        Files.writeString(f, "original");
        assertThrows(RuntimeException.class, () -> AtomicFile.write(f, out -> {
            out.write("partial".getBytes());
            throw new IOException("disk full");
        }));
        assertEquals("original", Files.readString(f));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temp file left behind");
        }
    }
}
