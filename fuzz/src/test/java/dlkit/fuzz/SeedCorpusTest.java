package dlkit.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.data.Npy;
import dlkit.files.AtomicFile;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.layers.preprocessing.Rescaling;
import dlkit.layers.recurrent.LSTM;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.optim.Adam;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * The seed corpus each fuzz target starts from: small valid files of every kind, so the fuzzer mutates real
 * structure. Regenerate with {@code mvn -pl fuzz test -Dtest=SeedCorpusTest -Ddlkit.writeSeeds=true} (then commit).
 */
class SeedCorpusTest {
    static final Path ROOT = Path.of("src", "test", "resources", "dlkit", "fuzz");
    static final Map<String, List<String>> TARGETS = Map.of(
            "ConfigFuzzTestInputs", List.of("runConfig", "tuneSection", "modelConfig"),
            "ModelFileFuzzTestInputs", List.of("archive", "safetensors"),
            "DataFileFuzzTestInputs", List.of("npy", "idx", "csv"),
            "ServeFuzzTestInputs", List.of("requestBody"));

    @Test
    void everyTargetHasSeeds() throws IOException {
        if (Boolean.getBoolean("dlkit.writeSeeds")) {
            write();
        }
        for (var e : TARGETS.entrySet()) {
            for (String method : e.getValue()) {
                Path dir = ROOT.resolve(e.getKey()).resolve(method);
                try (var files = Files.list(dir)) {
                    assertTrue(files.findAny().isPresent(), "no seeds in " + dir);
                }
            }
        }
    }

    private static void write() throws IOException {
        writeDictionary();
        Path configs = Path.of("..", "configs");
        Path runConfig = dir("ConfigFuzzTestInputs", "runConfig");
        for (String c : List.of("quickstart", "playground-spiral", "fashion-mnist-inception", "fashion-mnist-cnn-early-stopping",
                "license-snippets-lstm", "fashion-mnist-pretrained")) {
            Files.copy(configs.resolve(c + ".json"), runConfig.resolve(c + ".json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        Path tuneSection = dir("ConfigFuzzTestInputs", "tuneSection");
        Files.copy(configs.resolve("fashion-mnist-mlp-tune.json"), tuneSection.resolve("fashion-mnist-mlp-tune.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        AtomicFile.writeString(tuneSection.resolve("grid.json"), Files.readString(configs.resolve("quickstart.json")).replaceFirst("\\}\\s*$",
                ", \"tune\": {\"algorithm\": \"grid\", \"space\": {\"model.layers[2].units\": {\"int_uniform\": [16, 64], \"step\": 16},"
                        + " \"model.layers[3].rate\": {\"uniform\": [0.0, 0.4], \"q\": 0.2}, \"fit.batch_size\": {\"choice\": [16, 32]}}}}\n"));
        Model mlp = Sequential.of(Input.of(4, 4), Rescaling.of(1 / 16.0), dlkit.layers.reshaping.Flatten.of(),
                Dense.of(6).activation(Activation.RELU), Dense.of(3).activation(Activation.SOFTMAX));
        mlp.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY).initialize(1);
        Model rnn = Sequential.of(Input.of(5, 2), LSTM.of(3), Dense.of(1).activation(Activation.SIGMOID));
        Path modelConfig = dir("ConfigFuzzTestInputs", "modelConfig");
        AtomicFile.writeString(modelConfig.resolve("mlp.json"), mlp.toJson());
        AtomicFile.writeString(modelConfig.resolve("lstm.json"), rnn.toJson());
        Path archive = dir("ModelFileFuzzTestInputs", "archive");
        mlp.save(archive.resolve("mlp.dlk"));
        try (ZipFile zip = new ZipFile(archive.resolve("mlp.dlk").toFile())) {
            Files.write(dir("ModelFileFuzzTestInputs", "safetensors").resolve("mlp.safetensors"),
                    zip.getInputStream(zip.getEntry("weights.safetensors")).readAllBytes());
        }
        Path npy = dir("DataFileFuzzTestInputs", "npy");
        try (var out = Files.newOutputStream(npy.resolve("f4-3x4.npy"))) {
            Npy.write(out, new long[] {3, 4}, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        }
        Files.write(npy.resolve("i8-5-v2.npy"), npyV2("{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }", 5 * 8));
        Path idx = dir("DataFileFuzzTestInputs", "idx");
        byte[] images = idx(0x803, new int[] {3, 2, 2}, 12);
        Files.write(idx.resolve("images-3x2x2"), images);
        Files.write(idx.resolve("labels-3"), idx(0x801, new int[] {3}, 3));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(images);
        }
        Files.write(idx.resolve("images-3x2x2.gz"), gz.toByteArray());
        Path csv = dir("DataFileFuzzTestInputs", "csv");
        Files.writeString(csv.resolve("header.csv"), "x1,x2,label\n0.5,1,0\n-2,3e-2,1\n");
        Files.writeString(csv.resolve("bare.csv"), "1,2,3\r\n4,5,6\n\n7,8,9\n");
    }

    /**
     * The config targets' libFuzzer dictionary: every layer type and config key the registry knows, run-config
     * sections and values where sizes overflow, so mutations reach past the JSON syntax into the model builder.
     */
    private static void writeDictionary() throws IOException {
        java.util.TreeSet<String> words = new java.util.TreeSet<>(List.of("model", "compile", "data", "fit", "pretrain", "layers", "type",
                "name", "inputs", "outputs", "Functional", "Sequential", "optimizer", "loss", "metrics", "train", "test", "validation",
                "normalize", "scale", "standardize", "callbacks", "epochs", "batch_size", "seed", "samples", "playground", "digits", "csv",
                "npy", "idx", "path", "version", "format", "dlkit-model", "float64", "2147483647", "4294967301", "-1", "0", "1e308",
                "1180591620717411303424", "../", "/dev/zero", "null", "true", "[]", "{}"));
        words.addAll(dlkit.tune.TuneConfig.KEYS);
        words.addAll(dlkit.tune.TuneConfig.ALGORITHMS);
        words.addAll(List.of("tune", "uniform", "log_uniform", "int_uniform", "choice", "q", "step", "median", "direction", "metric", "min", "max",
                "val_accuracy", "model.layers[1].units", "compile.optimizer.learning_rate", "fit.batch_size", "1e-300"));
        for (String type : dlkit.layers.registry.LayerRegistry.types()) {
            words.add(type);
            words.addAll(dlkit.layers.registry.LayerRegistry.configKeys(type));
        }
        StringBuilder dict = new StringBuilder("# Written by SeedCorpusTest: layer types and keys from the registry.\n");
        for (String w : words) {
            dict.append("\"").append(w.replace("\\", "\\\\").replace("\"", "\\\"")).append("\"\n");
        }
        Files.writeString(ROOT.resolve("config.dict"), dict);
    }

    private static Path dir(String cls, String method) throws IOException {
        return Files.createDirectories(ROOT.resolve(cls).resolve(method));
    }

    private static byte[] npyV2(String header, int dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(12 + h.length + dataBytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 2).put((byte) 0).putInt(h.length).put(h);
        for (int i = 0; i < dataBytes / 8; i++) {
            b.putLong(i * 3L - 4);
        }
        return b.array();
    }

    private static byte[] idx(int magic, int[] dims, int values) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + values);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        for (int i = 0; i < values; i++) {
            b.put((byte) (i * 37));
        }
        return b.array();
    }
}
