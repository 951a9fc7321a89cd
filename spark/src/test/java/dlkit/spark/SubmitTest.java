package dlkit.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.config.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The spark-submit entry point: the master from spark-submit's spark.* properties, the run directory written. */
class SubmitTest {
    @Test
    void trainsOnTheMasterSparkSubmitSetAndWritesTheRunDirectory(@TempDir Path dir) throws IOException {
        Path config = SparkTrainingTest.config(dir, 1024);
        Path out = dir.resolve("run");
        // what spark-submit --master local[2] --conf spark.driver.host=127.0.0.1 sets before calling main
        System.setProperty("spark.master", "local[2]");
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");
        System.setProperty("spark.ui.enabled", "false");
        int code;
        try {
            code = Submit.run(config.toString(), "--epochs", "1", "--quiet", "--output", out.toString());
        } finally {
            for (String k : new String[] {"spark.master", "spark.driver.host", "spark.driver.bindAddress", "spark.ui.enabled"}) {
                System.clearProperty(k);
            }
        }
        assertEquals(0, code);
        JsonNode m = Json.MAPPER.readTree(out.resolve("metrics.json").toFile());
        assertEquals(2, m.at("/spark/workers").asInt());
        assertEquals("local[2]", m.at("/spark/master").asText());
        assertTrue(Files.size(out.resolve("model.dlk")) > 0);
    }

    @Test
    void withoutSparkSubmitsMasterItSaysSo(@TempDir Path dir) throws IOException {
        Path config = SparkTrainingTest.config(dir, 64);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Submit.run(config.toString());
        } finally {
            System.setErr(old);
        }
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("spark.master: no Spark master: run this through spark-submit --master"), err.toString());
    }
}
