package dlkit.fuzz;

import dlkit.DlkitException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What every fuzz target holds a reader to: any input ends either in a result or in a {@link DlkitException} (the
 * errors {@code dl} reports as exit 2, naming the file and field). Anything else — an internal exception, an
 * OutOfMemoryError, a crash — is a finding, and Jazzer saves the input beside the target's seeds as a regression test.
 */
final class Hostile {
    private Hostile() {}

    /** Runs {@code reader}; a DlkitException is the clean refusal every bad input must end in. */
    static void expectCleanErrorsOnly(Runnable reader) {
        try {
            reader.run();
        } catch (DlkitException clean) {
            if (clean.getMessage() == null || clean.getMessage().isBlank()) {
                throw new AssertionError("an error without a message", clean);
            }
        }
    }

    /** {@code data} as a file named {@code name} in a fresh temp directory (readers that take paths), deleted after. */
    static void withFile(String name, byte[] data, java.util.function.Consumer<Path> reader) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("dlkit-fuzz");
            Path file = dir.resolve(name);
            Files.write(file, data);
            reader.accept(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path p : files.toList()) {
                        Files.deleteIfExists(p);
                    }
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a temp directory left behind is harmless
                }
            }
        }
    }
}
