package dlkit.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.DlkitException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing through temp files with the process's umask, cleaning up after a killed writer, and reading only regular files. */
class FilesTest {
    @TempDir
    Path dir;

    @Test
    void writtenFilesGetThePermissionsOfAnyNewFile() throws IOException {
        Path plain = Files.createFile(dir.resolve("plain"));
        Path written = dir.resolve("written.json");
        AtomicFile.writeString(written, "{}");
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(written), "the umask decides, not a fixed 0600");
        assertEquals("{}", Files.readString(written));
    }

    @Test
    void staleTempFilesOfAKilledWriterAreRemovedAndNothingElse() throws IOException {
        Files.writeString(dir.resolve(".checkpoint.dlk.1f3a9c2b.tmp"), "half");
        Files.writeString(dir.resolve(".model.dlk.5550001.tmp"), "half");
        Files.writeString(dir.resolve("notes.tmp"), "mine");
        Files.writeString(dir.resolve(".hidden"), "mine");
        Files.writeString(dir.resolve("checkpoint.dlk"), "whole");
        assertEquals(2, AtomicFile.removeStale(dir));
        assertTrue(Files.exists(dir.resolve("notes.tmp")) && Files.exists(dir.resolve(".hidden")) && Files.exists(dir.resolve("checkpoint.dlk")));
        assertFalse(Files.exists(dir.resolve(".checkpoint.dlk.1f3a9c2b.tmp")));
    }

    @Test
    void readersTakeRegularFilesOnlyAndCapTheirSize() throws IOException {
        assertTrue(assertThrows(DlkitException.class, () -> InputFiles.readAll(dir, 100, "config")).getMessage().contains("not a regular file"));
        assertTrue(assertThrows(DlkitException.class, () -> InputFiles.readAll(dir.resolve("none"), 100, "config")).getMessage().endsWith("no such file"));
        Path big = dir.resolve("big.json");
        Files.write(big, new byte[101]);
        String msg = assertThrows(DlkitException.class, () -> InputFiles.readAll(big, 100, "config")).getMessage();
        assertTrue(msg.contains("101 bytes is too large for a config"), msg);
        if (Files.exists(Path.of("/dev/zero"))) {
            assertTrue(assertThrows(DlkitException.class, () -> InputFiles.open(Path.of("/dev/zero"), "CSV file")).getMessage().contains("not a regular file"));
        }
    }

    @Test
    void configPathsStayInsideTheOutputDirectory() {
        assertEquals(dir.resolve("logs/a.csv"), OutputPaths.inside(dir, "logs/./a.csv", "fit.callbacks[0].filename"));
        for (String escape : new String[] {"../x", "/etc/passwd", "a/../../x"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> OutputPaths.inside(dir, escape, "fit.callbacks[0].filename"));
            assertEquals("fit.callbacks[0].filename", e.path());
        }
        assertEquals("run-1", OutputPaths.name("run-1", "name"));
        for (String bad : new String[] {"../x", "a/b", ".", "..", "", "x\u0001"}) {
            assertThrows(ConfigException.class, () -> OutputPaths.name(bad, "name"), bad);
        }
    }
}
