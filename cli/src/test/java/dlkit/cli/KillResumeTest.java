package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import dlkit.model.Checkpoint;
import dlkit.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Really kills {@code dl train} (SIGKILL mid-epoch, and SIGTERM), reruns the same command, and checks the result is
 * bit-identical to a run that was never interrupted: weights, history and metrics.
 */
class KillResumeTest {
    @TempDir
    static Path dir;
    static Path config;

    @BeforeAll
    static void config() throws IOException {
        // ~20k samples, 256-wide layers, dropout: several seconds of training in 625 steps per epoch.
        String json = """
                {
                  "name": "kill-resume",
                  "model": {"layers": [
                    {"type": "Input", "shape": [2]},
                    {"type": "Dense", "units": 256, "activation": "relu"},
                    {"type": "Dropout", "rate": 0.2},
                    {"type": "Dense", "units": 256, "activation": "relu"},
                    {"type": "Dense", "units": 1, "activation": "sigmoid"}
                  ]},
                  "compile": {"optimizer": {"type": "adam", "learning_rate": 0.002}, "loss": "binary_crossentropy", "metrics": ["accuracy"]},
                  "data": {
                    "train": {"type": "playground", "dataset": "spiral", "samples": 20000, "noise": 0.1, "seed": 1},
                    "validation": {"type": "playground", "dataset": "spiral", "samples": 500, "noise": 0.1, "seed": 3},
                    "test": {"type": "playground", "dataset": "spiral", "samples": 500, "noise": 0.1, "seed": 2},
                    "normalize": "standardize"
                  },
                  "fit": {"epochs": 4, "batch_size": 32, "seed": 7,
                          "callbacks": [
                            {"type": "BackupAndRestore", "save_freq": 50},
                            {"type": "LearningRateScheduler", "schedule": {"type": "exponential", "decay_steps": 2, "decay_rate": 0.1}},
                            {"type": "CSVLogger"}
                          ]}
                }
                """;
        config = dir.resolve("kill-resume.json");
        Files.writeString(config, json);
    }

    static Process start(Path out) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dlkit.cli.Dl", "train", config.toString(), "--output", out.toString(), "--quiet"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.resolveSibling(out.getFileName() + ".log").toFile()).start();
    }

    static String log(Path out) throws IOException {
        return Files.readString(out.resolveSibling(out.getFileName() + ".log"));
    }

    static int finish(Path out) throws Exception {
        Files.createDirectories(out);
        Process p = start(out);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "dl train finishes");
        return p.exitValue();
    }

    /** Waits until the run has written a backup and is well into an epoch, so the kill lands mid-epoch. */
    static Process startAndWaitForBackup(Path out, int minBatches) throws Exception {
        Files.createDirectories(out);
        Process p = start(out);
        Path ckpt = out.resolve("checkpoint.dlk");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            if (Files.exists(ckpt)) {
                Checkpoint.Info info = Checkpoint.info(ckpt);
                if (info.epoch() >= 1 && info.batchesDone() >= minBatches) {
                    return p;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no mid-epoch backup appeared; log: " + log(out));
    }

    static void assertSameRun(Path expected, Path actual) throws IOException {
        Map<String, INDArray> a = Model.load(expected.resolve("model.dlk")).getWeights();
        Map<String, INDArray> b = Model.load(actual.resolve("model.dlk")).getWeights();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).data().asFloat(), b.get(k).data().asFloat(), 0f, k + " bit-identical");
        }
        assertEquals(Files.readString(expected.resolve("history.csv")), Files.readString(actual.resolve("history.csv")));
        assertEquals(Files.readString(expected.resolve("log.csv")), Files.readString(actual.resolve("log.csv")));
        ObjectNode ma = (ObjectNode) Json.MAPPER.readTree(expected.resolve("metrics.json").toFile());
        ObjectNode mb = (ObjectNode) Json.MAPPER.readTree(actual.resolve("metrics.json").toFile());
        ma.remove("seconds");
        mb.remove("seconds");
        assertEquals(ma, mb);
        // The scheduler's learning_rate is in the history, not among the results.
        assertTrue(Files.readString(actual.resolve("history.csv")).startsWith("epoch,loss,accuracy,val_loss,val_accuracy,learning_rate"));
        assertEquals(List.of("loss", "accuracy"), iterator(mb.get("train").fieldNames()));
    }

    static List<String> iterator(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void sigkillMidEpochThenTheSameCommandEndsBitIdentical() throws Exception {
        Path reference = dir.resolve("reference");
        assertEquals(0, finish(reference), () -> "reference run");

        Path killed = dir.resolve("killed");
        Process p = startAndWaitForBackup(killed, 100);
        Thread.sleep(137);
        p.destroyForcibly();
        p.waitFor();
        assertEquals(137, p.exitValue(), "SIGKILL");
        Checkpoint.Info at = Checkpoint.info(killed.resolve("checkpoint.dlk"));
        assertFalse(at.completed());
        assertFalse(Files.exists(killed.resolve("model.dlk")), "killed before the end");

        assertEquals(0, finish(killed), () -> "resumed run: " + uncheckedLog(killed));
        assertTrue(uncheckedLog(killed).contains("resuming from"), uncheckedLog(killed));
        assertSameRun(reference, killed);

        // Once finished, the same command trains nothing.
        assertEquals(0, finish(killed));
        assertTrue(uncheckedLog(killed).contains("already holds the finished run"), uncheckedLog(killed));
    }

    @Test
    void sigtermBacksUpAtOnceAndResumes() throws Exception {
        Path reference = dir.resolve("reference-term");
        assertEquals(0, finish(reference));
        Path stopped = dir.resolve("stopped");
        Process p = startAndWaitForBackup(stopped, 50);
        Thread.sleep(61);
        p.destroy();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(143, p.exitValue(), "SIGTERM");
        Checkpoint.Info at = Checkpoint.info(stopped.resolve("checkpoint.dlk"));
        assertFalse(at.completed());
        // The signal forced a backup at the batch it arrived in, not at the last multiple of save_freq.
        assertTrue(at.batchesDone() % 50 != 0, "backup at epoch " + at.epoch() + ", batch " + at.batchesDone() + "; log: " + uncheckedLog(stopped));
        assertTrue(uncheckedLog(stopped).contains("interrupted; checkpoint"), uncheckedLog(stopped));
        assertEquals(0, finish(stopped));
        assertSameRun(reference, stopped);
    }

    static String uncheckedLog(Path out) {
        try {
            return log(out);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
