package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.data.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keras 3 files through the real dl command: predict, convert both ways, and unsafe or unsupported files. */
class KerasCommandTest {
    @TempDir
    static Path dir;
    static final Path FIXTURES = Path.of("..", "keras", "src", "test", "resources", "fixtures", "keras").toAbsolutePath().normalize();

    static float maxDiff(Path a, Path b) {
        float[] x = Npy.read(a).values();
        float[] y = Npy.read(b).values();
        assertEquals(x.length, y.length);
        float d = 0;
        for (int i = 0; i < x.length; i++) {
            d = Math.max(d, Math.abs(x[i] - y[i]));
        }
        return d;
    }

    @Test
    void predictFromKerasFileGivesKerasOutputs() throws Exception {
        for (String name : new String[] {"conv2d", "lstm", "embedding_mask"}) {
            Path fixture = FIXTURES.resolve(name);
            Path out = dir.resolve(name + "-y.npy");
            DlCommandTest.Out o = DlCommandTest.dlIn(dir, "predict", fixture.resolve("model.keras").toString(), "--input", fixture.resolve("x.npy").toString(),
                    "--output", out.toString());
            assertEquals(0, o.code(), o.stderr());
            float d = maxDiff(fixture.resolve("y.npy"), out);
            assertTrue(d <= 1e-5, name + ": dl predict differs from Keras by " + d);
        }
    }

    /** Several inputs by name, several outputs into a directory (the functional fixture: inputs a and b, outputs probs and score). */
    @Test
    void predictWithNamedInputsAndOutputs() throws Exception {
        Path f = FIXTURES.resolve("functional");
        Path out = dir.resolve("functional-out");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "predict", f.resolve("model.keras").toString(), "--input", "b=" + f.resolve("x_b.npy"),
                "--input", "a=" + f.resolve("x_a.npy"), "--output", out.toString());
        assertEquals(0, o.code(), o.stderr());
        for (String name : new String[] {"probs", "score"}) {
            float d = maxDiff(f.resolve("y_" + name + ".npy"), out.resolve(name + ".npy"));
            assertTrue(d <= 1e-5, name + ": differs from Keras by " + d);
        }
        DlCommandTest.assertBadIn(dir, "missing [b]", "predict", f.resolve("model.keras").toString(), "--input", "a=" + f.resolve("x_a.npy"),
                "--output", out.toString());
        DlCommandTest.assertBadIn(dir, "takes samples shaped [4]", "predict", f.resolve("model.keras").toString(), "--input", "a=" + f.resolve("x_a.npy"),
                "--input", "b=" + FIXTURES.resolve("mlp/x.npy"), "--output", out.toString());
    }

    @Test
    void convertKerasToDlkAndJsonAndBack() throws Exception {
        // outputs in the test's directory, never among the fixtures
        Path fixture = FIXTURES.resolve("gru");
        Path dlk = dir.resolve("gru.dlk");
        assertEquals(0, DlCommandTest.dlIn(dir, "convert", fixture.resolve("model.keras").toString(), dlk.toString()).code());
        Path json = dir.resolve("gru-keras.json");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "convert", dlk.toString(), json.toString());
        assertEquals(0, o.code(), o.stderr());
        assertTrue(Files.exists(dir.resolve("gru-keras.weights.h5")), "weights written beside the JSON");
        Path again = dir.resolve("gru-again.keras");
        assertEquals(0, DlCommandTest.dlIn(dir, "convert", json.toString(), again.toString()).code());
        Path out = dir.resolve("gru-again-y.npy");
        assertEquals(0, DlCommandTest.dlIn(dir, "predict", again.toString(), "--input", fixture.resolve("x.npy").toString(), "--output", out.toString()).code());
        assertTrue(maxDiff(fixture.resolve("y.npy"), out) <= 1e-5);
    }

    @Test
    void unsafeOrUnsupportedKerasFilesExitWithTwo() throws Exception {
        String mlp = Files.readString(FIXTURES.resolve("mlp").resolve("model.json"));
        Path lambda = dir.resolve("lambda.json");
        Files.writeString(lambda, mlp.replaceFirst("\"class_name\": \"Dense\"", "\"class_name\": \"Lambda\""));
        DlCommandTest.assertBadIn(dir, "dlkit has no layer \"Lambda\"", "convert", lambda.toString(), dir.resolve("x.dlk").toString());
        Path custom = dir.resolve("custom.json");
        Files.writeString(custom, mlp.replaceFirst("\"module\": \"keras.layers\"", "\"module\": \"evil.layers\""));
        DlCommandTest.assertBadIn(dir, "module \"evil.layers\" is outside Keras", "summary", custom.toString());
        Path extra = dir.resolve("extra.keras");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(extra))) {
            z.putNextEntry(new ZipEntry("config.json"));
            z.write(mlp.getBytes());
            z.putNextEntry(new ZipEntry("../../etc/passwd"));
            z.write(1);
        }
        DlCommandTest.assertBadIn(dir, "unexpected entry \"../../etc/passwd\"", "summary", extra.toString());
        Path notZip = dir.resolve("garbage.keras");
        Files.writeString(notZip, "not a zip");
        DlCommandTest.assertBadIn(dir, "not a valid .keras file", "predict", notZip.toString(), "--input", FIXTURES.resolve("mlp/x.npy").toString());
        Path badShape = dir.resolve("bad-shape.json");
        Files.writeString(badShape, mlp.replaceFirst("\"units\": 8", "\"units\": 9"));
        Files.copy(FIXTURES.resolve("mlp/model.weights.h5"), dir.resolve("bad-shape.weights.h5"));
        DlCommandTest.assertBadIn(dir, "expected [6, 9]", "convert", badShape.toString(), dir.resolve("y.dlk").toString());
    }
}
