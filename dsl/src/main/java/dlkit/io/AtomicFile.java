package dlkit.io;

import dlkit.DlkitException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jspecify.annotations.NonNull;

/** Every file dlkit writes goes through here: a temp file in the target's directory, renamed over the target. */
public final class AtomicFile {
    private AtomicFile() {}

    /** A writer that may throw IOException. */
    public interface IoWriter {
        void write(OutputStream out) throws IOException;
    }

    /** Writes through a temp file and renames it over {@code path}: never a half-written file, the old one kept on failure. */
    public static void write(@NonNull Path path, @NonNull IoWriter writer) {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                writer.write(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new DlkitException("cannot write " + path + ": " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the original file is untouched either way
                }
            }
        }
    }

    public static void write(@NonNull Path path, byte @NonNull [] bytes) {
        write(path, out -> out.write(bytes));
    }

    public static void writeString(@NonNull Path path, @NonNull String text) {
        write(path, text.getBytes(StandardCharsets.UTF_8));
    }
}
