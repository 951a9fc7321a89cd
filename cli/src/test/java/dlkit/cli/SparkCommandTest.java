package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * dl train --spark without Spark support on the classpath (the CLI neither depends on it nor builds it: the dl
 * launcher adds dlkit-spark and Spark for --spark) ends in a clear error. Training on Spark is tested in spark/.
 */
class SparkCommandTest {
    @Test
    void sparkWithoutSparkOnTheClasspathSaysHowToGetIt() {
        Path config = Path.of("..", "configs", "playground-spiral.json").toAbsolutePath().normalize();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Dl.run("train", config.toString(), "--spark", "local[2]", "--quiet", "--output", System.getProperty("java.io.tmpdir") + "/dl-spark-cmd");
        } finally {
            System.setErr(old);
        }
        String e = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, e);
        assertTrue(e.contains("--spark: Spark support (dlkit-spark and Spark) is not on the classpath"), e);
    }
}
