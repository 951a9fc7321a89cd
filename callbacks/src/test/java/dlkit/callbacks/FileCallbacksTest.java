package dlkit.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.model.Callback;
import dlkit.model.Checkpoint;
import dlkit.model.History;
import dlkit.model.Model;
import dlkit.model.TrainingState;
import dlkit.callbacks.CallbackType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Callbacks that write files: CSV logs, model checkpoints and backups; and their JSON configs. */
class FileCallbacksTest {
    @TempDir
    Path dir;

    @Test
    void csvLoggerWritesOneRowPerEpochAndAppends() throws Exception {
        Path csv = dir.resolve("log.csv");
        History h = Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(3, new CSVLogger(csv)));
        List<String> lines = Files.readAllLines(csv);
        assertEquals("epoch,loss,accuracy,val_loss,val_accuracy", lines.get(0));
        assertEquals(4, lines.size());
        assertEquals("3," + h.get("loss").get(2) + "," + h.get("accuracy").get(2) + "," + h.get("val_loss").get(2) + ","
                + h.get("val_accuracy").get(2), lines.get(3));
        Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(2, new CSVLogger(csv, ",", true)));
        assertEquals(6, Files.readAllLines(csv).size(), "appended two rows under the same header");
        Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(1, new CSVLogger(csv)));
        assertEquals(2, Files.readAllLines(csv).size(), "a fresh logger truncates");
    }

    @Test
    void modelCheckpointFillsTemplatesAndSavesOnlyImprovements() throws Exception {
        ModelCheckpoint mc = new ModelCheckpoint(dir.resolve("ckpt-{epoch:03d}-{val_loss:.2f}.dlk").toString())
                .monitor("val_loss").saveBestOnly(true);
        Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(4, Fixtures.script("val_loss", 0.5, 0.25, 0.75, 0.125), mc));
        List<String> names;
        try (var s = Files.list(dir)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("ckpt-001-0.50.dlk", "ckpt-002-0.25.dlk", "ckpt-004-0.13.dlk"), names);
        // A whole-model checkpoint is a model archive and a resumable checkpoint of the state after that epoch.
        assertEquals(4, Checkpoint.info(dir.resolve("ckpt-004-0.13.dlk")).epoch());
        assertEquals(Fixtures.model(0.01).paramCount(), Model.load(dir.resolve("ckpt-002-0.25.dlk")).paramCount());

        ModelCheckpoint weights = new ModelCheckpoint(dir.resolve("w-{epoch}-{batch:02d}.safetensors").toString()).weightsOnly(true).saveEverySteps(3);
        Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(2, weights));
        // 4 batches per epoch: steps 3 and 6 are batch 3 of epoch 1 and batch 2 of epoch 2.
        assertTrue(Files.exists(dir.resolve("w-1-03.safetensors")) && Files.exists(dir.resolve("w-2-02.safetensors")));
        assertEquals(dir.resolve("w-2-02.safetensors"), weights.lastSaved());

        assertThrows(IllegalArgumentException.class, () -> new ModelCheckpoint("bad-{epoch.dlk"));
        ModelCheckpoint unknown = new ModelCheckpoint(dir.resolve("x-{val_acc:.2f}.dlk").toString());
        DlkitException e = assertThrows(DlkitException.class, () -> Fixtures.model(0.01).fit(Fixtures.blobs(100, 1), Fixtures.options(1, unknown)));
        assertTrue(e.getMessage().contains("{val_acc}") && e.getMessage().contains("val_accuracy"), e.getMessage());
    }

    @Test
    void backupAndRestoreResumesAKilledFitBitIdentically() {
        Model reference = Fixtures.model(0.01);
        reference.fit(Fixtures.blobs(400, 1), Fixtures.options(3, new CSVLogger(dir.resolve("ref.csv"))));

        Path backupDir = dir.resolve("backup");
        BackupAndRestore first = new BackupAndRestore(backupDir).saveEverySteps(5);
        // Simulates a crash right after step 13 (epoch 2, batch 5): the last backup is from step 10.
        Callback crash = new Callback() {
            @Override
            public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
                if (state.model().iterations() == 13) {
                    state.interrupt();
                }
            }
        };
        Fixtures.model(0.01).fit(Fixtures.blobs(400, 1), Fixtures.options(3, first, crash, new CSVLogger(dir.resolve("run.csv"))));
        Checkpoint.Info info = Checkpoint.info(first.file());
        assertEquals(1, info.epoch());
        assertEquals(2, info.batchesDone());

        Model resumed = Fixtures.model(0.01);
        BackupAndRestore second = new BackupAndRestore(backupDir).saveEverySteps(5);
        resumed.fit(Fixtures.blobs(400, 1), Fixtures.options(3, second, new CSVLogger(dir.resolve("run.csv"))));
        assertEquals(1, second.resumedFrom().epoch());
        TrainingControlTest.assertSameWeights(reference.getWeights(), resumed.getWeights());
        assertTrue(Checkpoint.info(second.file()).completed());
        try {
            assertEquals(Files.readAllLines(dir.resolve("ref.csv")), Files.readAllLines(dir.resolve("run.csv")), "same CSV log, no duplicate rows");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }

        // A completed backup: fitting again trains nothing and keeps the weights.
        Model again = Fixtures.model(0.01);
        History h = again.fit(Fixtures.blobs(400, 1), Fixtures.options(3, new BackupAndRestore(backupDir)));
        assertEquals(3, h.epochs().size());
        TrainingControlTest.assertSameWeights(reference.getWeights(), again.getWeights());
    }

    @Test
    void earlyStoppingStateSurvivesAResume() {
        Callback script = Fixtures.script("val_loss", 1.0, 0.5, 0.6, 0.7, 0.8, 0.9);
        Model reference = Fixtures.model(0.01);
        EarlyStopping es = new EarlyStopping().patience(3).restoreBestWeights(true);
        reference.fit(Fixtures.blobs(200, 1), Fixtures.options(6, script, es));
        assertEquals(4, es.stoppedEpoch());

        Path backupDir = dir.resolve("es");
        Callback stopAfterThird = new Callback() {
            @Override
            public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
                if (epoch == 2) {
                    state.interrupt();
                }
            }
        };
        Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(6, script, new EarlyStopping().patience(3).restoreBestWeights(true),
                new BackupAndRestore(backupDir), stopAfterThird));
        Model resumed = Fixtures.model(0.01);
        EarlyStopping es2 = new EarlyStopping().patience(3).restoreBestWeights(true);
        History h = resumed.fit(Fixtures.blobs(200, 1), Fixtures.options(6, script, es2, new BackupAndRestore(backupDir)));
        assertEquals(5, h.epochs().size());
        assertEquals(4, es2.stoppedEpoch());
        assertEquals(1, es2.bestEpoch());
        TrainingControlTest.assertSameWeights(reference.getWeights(), resumed.getWeights());
    }

    @Test
    void callbacksFromJsonConfigs() throws Exception {
        assertEquals(List.of("EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN",
                "ModelCheckpoint", "BackupAndRestore"), List.copyOf(CallbackType.all().keySet()));
        Callback es = CallbackType.fromConfig(json("{\"type\": \"EarlyStopping\", \"monitor\": \"val_accuracy\", \"patience\": 2}"), "fit.callbacks[0]", dir);
        assertTrue(es instanceof EarlyStopping);
        Callback lr = CallbackType.fromConfig(json("{\"type\": \"LearningRateScheduler\", \"schedule\": {\"type\": \"exponential\", \"decay_steps\": 10, \"decay_rate\": 0.1}}"), "fit.callbacks[1]", dir);
        assertEquals(0.1, ((LearningRateScheduler) lr).schedule().at(10, 1), 1e-15);
        Callback csv = CallbackType.fromConfig(json("{\"type\": \"CSVLogger\"}"), "fit.callbacks[2]", dir);
        assertEquals(dir.resolve("log.csv"), ((CSVLogger) csv).file());
        assertFalse(Files.exists(dir.resolve("log.csv")), "building a callback writes nothing");

        assertConfigError("fit.callbacks[0].type: unknown callback \"EarlyStoping\"; did you mean \"EarlyStopping\"?", "{\"type\": \"EarlyStoping\"}");
        assertConfigError("fit.callbacks[0].patiense: unknown key; did you mean \"patience\"?", "{\"type\": \"EarlyStopping\", \"patiense\": 2}");
        assertConfigError("fit.callbacks[0].patience: expected an integer >= 0, got -1", "{\"type\": \"EarlyStopping\", \"patience\": -1}");
        assertConfigError("fit.callbacks[0].mode: expected one of [auto, min, max], got \"maximum\"", "{\"type\": \"EarlyStopping\", \"mode\": \"maximum\"}");
        assertConfigError("fit.callbacks[0].factor: factor: expected a number in (0, 1)", "{\"type\": \"ReduceLROnPlateau\", \"factor\": 2}");
        assertConfigError("fit.callbacks[0].schedule.type: unknown schedule \"cosin\"; did you mean \"cosine\"?",
                "{\"type\": \"LearningRateScheduler\", \"schedule\": {\"type\": \"cosin\", \"decay_steps\": 5}}");
        assertConfigError("fit.callbacks[0].schedule.decay_steps: required", "{\"type\": \"LearningRateScheduler\", \"schedule\": {\"type\": \"cosine\"}}");
        assertConfigError("fit.callbacks[0].save_freq: expected \"epoch\" or a positive number of batches, got 0",
                "{\"type\": \"ModelCheckpoint\", \"filepath\": \"m.dlk\", \"save_freq\": 0}");
        assertConfigError("fit.callbacks[0].filepath: required", "{\"type\": \"ModelCheckpoint\"}");
        assertConfigError("fit.callbacks[0]: expected an object with a \"type\"", "[1, 2]");
    }

    private void assertConfigError(String expected, String config) throws Exception {
        ConfigException e = assertThrows(ConfigException.class, () -> CallbackType.fromConfig(json(config), "fit.callbacks[0]", dir));
        assertTrue(e.getMessage().startsWith(expected), "expected \"" + expected + "\", got \"" + e.getMessage() + "\"");
    }

    private static JsonNode json(String s) throws Exception {
        return Json.MAPPER.readTree(s);
    }
}
