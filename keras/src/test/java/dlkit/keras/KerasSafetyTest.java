package dlkit.keras;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ModelFileException;
import dlkit.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each unsafe or unsupported construct in a Keras file: one clean error naming it, before anything large is allocated. */
class KerasSafetyTest {
    @TempDir
    Path dir;

    static String mlp() throws IOException {
        return Files.readString(KerasFixturesTest.fixtures().resolve("mlp/model.json"));
    }

    static void assertRejected(String json, String expected) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> KerasFormat.fromJson(json, "bad.json"));
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("bad.json"), "names the file: " + e.getMessage());
    }

    @Test
    void codeAndCustomObjectsAreRefused() throws IOException {
        String m = mlp();
        assertRejected(m.replaceFirst("\"class_name\": \"Dense\"", "\"class_name\": \"Lambda\""), "layers[1] (name \"dense\", class_name \"Lambda\"): dlkit has no layer \"Lambda\"");
        assertRejected(m.replaceFirst("\"module\": \"keras.layers\", \"class_name\": \"Dense\"", "\"module\": \"my_package.layers\", \"class_name\": \"Dense\""),
                "module \"my_package.layers\" is outside Keras");
        assertRejected(m.replaceFirst("\"registered_name\": null, \"build_config\"", "\"registered_name\": \"Custom>MyDense\", \"build_config\""),
                "registered_name \"Custom>MyDense\" is a custom object");
        assertRejected(m.replaceFirst("\"module\": \"keras.initializers\"", "\"module\": \"evil\""), "initializer from module \"evil\" is not allowed");
    }

    @Test
    void settingsDlkitWouldComputeDifferentlyAreRefused() throws IOException {
        String m = mlp();
        assertRejected(m.replaceFirst("\"kernel_constraint\": null", "\"kernel_constraint\": {\"class_name\": \"MaxNorm\", \"config\": {}}"),
                "\"kernel_constraint\"");
        assertRejected(m.replaceFirst("\"trainable\": true, \"dtype\": \\{\"module\": \"keras\", \"class_name\": \"DTypePolicy\", \"config\": \\{\"name\": \"float32\"}, \"registered_name\": null}, \"units\": 8",
                "\"trainable\": \"no\", \"units\": 8"), "\"trainable\": expected true or false, got \"no\"");
        assertRejected(m.replaceFirst("\"config\": \\{\"name\": \"float32\"}, \"registered_name\": null}, \"units\": 8",
                "\"config\": {\"name\": \"mixed_float16\"}, \"registered_name\": null}, \"units\": 8"), "dtype \"mixed_float16\" is not supported");
        assertRejected(m.replaceFirst("\"class_name\": \"GlorotUniform\"", "\"class_name\": \"TruncatedNormal\""), "initializer TruncatedNormal is not supported");
        assertRejected("{\"class_name\": \"Sequential\", \"config\": {}}", "no \"layers\" list");
        assertRejected("{\"class_name\": \"os.system\", \"config\": {}}", "is not a Keras model");
    }

    @Test
    void archiveEntriesAndSizesAreChecked() throws IOException {
        String m = mlp();
        assertBadArchive(Map.of("config.json", m.getBytes(), "extra.py", new byte[] {1}), "unexpected entry \"extra.py\"");
        assertBadArchive(Map.of("metadata.json", "{}".getBytes()), "no config.json");
        // A weights entry far beyond what a 92-weight model can need stops at the limit, whatever the zip declares.
        assertBadArchive(Map.of("config.json", m.getBytes(), "model.weights.h5", new byte[3 << 20]), "more than the");
    }

    @Test
    void weightsMustFitTheLayers() throws IOException {
        Path json = dir.resolve("wide.json");
        Files.writeString(json, mlp().replaceFirst("\"units\": 8", "\"units\": 9"));
        Path weights = KerasFixturesTest.fixtures().resolve("mlp/model.weights.h5");
        ModelFileException e = assertThrows(ModelFileException.class, () -> KerasFormat.readJson(json, weights));
        assertTrue(e.getMessage().contains("layers/dense/vars/0") && e.getMessage().contains("shape [6, 8], expected [6, 9]"), e.getMessage());
        Path garbage = dir.resolve("garbage.weights.h5");
        Files.write(garbage, new byte[] {(byte) 0x89, 'H', 'D', 'F', 1, 2, 3});
        e = assertThrows(ModelFileException.class, () -> KerasFormat.readJson(KerasFixturesTest.fixtures().resolve("mlp/model.json"), garbage));
        assertTrue(e.getMessage().contains("not a readable HDF5 file"), e.getMessage());
    }

    private void assertBadArchive(Map<String, byte[]> entries, String expected) throws IOException {
        Path file = dir.resolve("bad.keras");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(file))) {
            for (var e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
            }
        }
        ModelFileException e = assertThrows(ModelFileException.class, () -> Model.load(file));
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
    }
}
