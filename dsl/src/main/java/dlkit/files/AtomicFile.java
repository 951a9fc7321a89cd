package dlkit.files;

import dlkit.DlkitException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
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
            OutputStream out = null;
            while (out == null) {
                tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
                try {
                    // Not createTempFile: that makes the file 0600 whatever the umask; CREATE_NEW keeps the process's umask.
                    out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException taken) {
                    tmp = null;
                }
            }
            try (OutputStream o = out) {
                writer.write(o);
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

    private static final Pattern TEMP = Pattern.compile("^\\..+\\.[0-9a-f]+\\.tmp$");

    /**
     * Deletes the temp files a killed writer left in {@code dir} (named as {@link #write} names them); returns how many.
     * A run calls it before it writes anything there.
     */
    public static int removeStale(@NonNull Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, p -> TEMP.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p))) {
            for (Path p : files) {
                Files.deleteIfExists(p);
                removed++;
            }
        } catch (IOException e) {
            throw new DlkitException("cannot clean up temp files in " + dir + ": " + e.getMessage(), e);
        }
        return removed;
    }

    public static void write(@NonNull Path path, byte @NonNull [] bytes) {
        write(path, out -> out.write(bytes));
    }

    public static void writeString(@NonNull Path path, @NonNull String text) {
        write(path, text.getBytes(StandardCharsets.UTF_8));
    }
}
