package dlkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.model.Model;
import dlkit.run.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dl train --spark: the run directory a local run writes, and bad settings refused before any task starts. */
class SparkRunTest {
    @Test
    void trainsOnLocalSparkAndWritesTheRunDirectory(@TempDir Path dir) throws IOException {
        Path config = SparkTrainingTest.config(dir, 2048);
        Files.writeString(config, Files.readString(config).replace("\"data\": {\"train\": {\"type\": \"npy\", \"x\": \"x.npy\", \"y\": \"y.npy\"}}",
                "\"data\": {\"train\": {\"type\": \"npy\", \"x\": \"x.npy\", \"y\": \"y.npy\"}, \"test\": {\"type\": \"npy\", \"x\": \"x.npy\", \"y\": \"y.npy\"}}")
                .replace("\"seed\": 5}", "\"seed\": 5, \"callbacks\": [{\"type\": \"LearningRateScheduler\", \"schedule\": {\"type\": \"cosine\", \"decay_steps\": 2}}]}"));
        Path out = dir.resolve("run");
        Files.createDirectories(out);
        Run.Result r = SparkRun.train("local[2]", null, config, new Run.Overrides(2, null, null), out);
        assertEquals(2, r.epochs());
        List<String> csv = Files.readAllLines(out.resolve("history.csv"));
        assertEquals(3, csv.size());
        assertTrue(csv.get(0).startsWith("epoch,loss,accuracy"), csv.get(0));
        JsonNode metrics = Json.MAPPER.readTree(out.resolve("metrics.json").toFile());
        double acc = metrics.at("/test/accuracy").asDouble();
        List<Double> loss = r.history().get("loss");
        assertTrue(loss.get(1) < loss.get(0), "the loss falls: " + loss);
        // the config's schedule ran on the replicas: cosine over 2 epochs from 0.001
        assertEquals(List.of(0.001, 0.0005), r.history().get("learning_rate").stream().map(v -> Math.round(v * 1e6) / 1e6).toList());
        assertEquals(2, metrics.get("epochs").asInt());
        // the saved model is the trained one: it scores what metrics.json says
        Model m = Model.load(out.resolve("model.dlk"));
        assertEquals(acc, m.evaluate(Run.prepare(dlkit.run.RunConfig.read(config)).test()).get("accuracy"), 1e-6);
    }

    @Test
    void badSettingsFailFastNamingTheSetting(@TempDir Path dir) throws IOException {
        Path config = SparkTrainingTest.config(dir, 64);
        ConfigException master = assertThrows(ConfigException.class, () -> SparkRun.train("mesos://x", null, config, Run.Overrides.NONE, dir));
        assertTrue(master.getMessage().contains("--spark") && master.getMessage().contains("unknown Spark master \"mesos://x\""), master.getMessage());
        ConfigException workers = assertThrows(ConfigException.class, () -> SparkRun.train("local[*]", null, config, Run.Overrides.NONE, dir));
        assertTrue(workers.getMessage().contains("--workers"), workers.getMessage());
        ConfigException split = assertThrows(ConfigException.class, () -> SparkRun.train("local[2]", 2, config, new Run.Overrides(null, 1, null), dir));
        assertTrue(split.getMessage().contains("a global batch of 1 cannot be split over 2 workers"), split.getMessage());
        Files.writeString(config, Files.readString(config).replace("\"seed\": 5}",
                "\"seed\": 5, \"callbacks\": [{\"type\": \"EarlyStopping\", \"monitor\": \"loss\"}]}"));
        ConfigException cb = assertThrows(ConfigException.class, () -> SparkRun.train("local[2]", 2, config, Run.Overrides.NONE, dir));
        assertTrue(cb.getMessage().contains("fit.callbacks[0]") && cb.getMessage().contains("EarlyStopping does not run on Spark yet"), cb.getMessage());
        Files.writeString(config, Files.readString(config).replace(", \"callbacks\": [{\"type\": \"EarlyStopping\", \"monitor\": \"loss\"}]", ""));
        ConfigException slots = assertThrows(ConfigException.class, () -> SparkRun.train("local[1]", 2, config, Run.Overrides.NONE, dir));
        assertTrue(slots.getMessage().contains("2 workers need 2 task slots") && slots.getMessage().contains("has 1"), slots.getMessage());
    }
}
