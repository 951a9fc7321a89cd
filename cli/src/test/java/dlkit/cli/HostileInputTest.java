package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every case of {@link HostileCases} through {@code dl}, in this JVM: the exit code, one message naming the file,
 * key or field, and never an internal error or a stack trace. (Their peak memory, each in a process of its own, is
 * measured by {@code bench/hostile}.)
 */
class HostileInputTest {
    @TempDir
    static Path dir;

    @TestFactory
    Stream<DynamicTest> everyHostileInputEndsInAClearError() throws Exception {
        List<HostileCases.Case> cases = HostileCases.write(dir);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream oldErr = System.err;
            PrintStream oldOut = System.out;
            int code;
            try {
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                code = Dl.run(c.args().toArray(new String[0]));
            } finally {
                System.setErr(oldErr);
                System.setOut(oldOut);
            }
            String e = err.toString(StandardCharsets.UTF_8);
            assertEquals(c.exit(), code, c.name() + ": " + e + out.toString(StandardCharsets.UTF_8));
            if (c.exit() != 0) {
                assertTrue(e.startsWith("dl: error: ") && e.contains(c.fragment()), c.name() + ": expected \"" + c.fragment() + "\" in " + e);
                assertFalse(e.contains("internal error") || e.contains("\tat ") || e.contains("Exception"), c.name() + ": " + e);
                assertEquals(1, e.strip().lines().count(), c.name() + ": one line: " + e);
            }
        }));
    }
}
