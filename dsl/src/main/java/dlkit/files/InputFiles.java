package dlkit.files;

import dlkit.DlkitException;
import dlkit.tensor.Memory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.jspecify.annotations.NonNull;

/**
 * Opening a file a user or a config names: it must exist and be a regular file — {@code /dev/zero}, a FIFO or a
 * directory would be read without end — and files read whole are capped in size before a byte is read. Every reader
 * of outside data (configs, archives, .npy, IDX, CSV) comes through here.
 */
public final class InputFiles {
    /** Configs and model configs: far above any real one (the largest example is a few KB). */
    public static final long MAX_CONFIG_BYTES = 16L << 20;

    private InputFiles() {}

    /** The size of {@code path}, a regular file; {@code what} ("config", ".npy file") names it in errors. */
    public static long size(@NonNull Path path, @NonNull String what) {
        if (!Files.exists(path)) {
            throw new DlkitException(path + ": no such file");
        }
        if (!Files.isRegularFile(path)) {
            throw new DlkitException(path + ": not a regular file (a directory, device or pipe); expected a " + what);
        }
        try {
            return Files.size(path);
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Opens a regular file for streaming. */
    public static @NonNull InputStream open(@NonNull Path path, @NonNull String what) {
        size(path, what);
        try {
            return Files.newInputStream(path);
        } catch (AccessDeniedException e) {
            throw new DlkitException(path + ": permission denied");
        } catch (NoSuchFileException e) {
            throw new DlkitException(path + ": no such file");
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** The whole file, when it is at most {@code maxBytes} long (and fits the heap). */
    public static byte @NonNull [] readAll(@NonNull Path path, long maxBytes, @NonNull String what) {
        long size = size(path, what);
        if (size > maxBytes) {
            throw new DlkitException(path + ": " + String.format("%,d", size) + " bytes is too large for a " + what + " (at most "
                    + Memory.format(maxBytes) + ")");
        }
        Memory.requireHeap(size, path + " (" + what + ")");
        try (InputStream in = open(path, what)) {
            // At most maxBytes + 1 even if the file grew since its size was read.
            byte[] b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (b.length > maxBytes) {
                throw new DlkitException(path + ": grew beyond " + Memory.format(maxBytes) + " while being read");
            }
            return b;
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** A UTF-8 text file of at most {@code maxBytes}. */
    public static @NonNull String readString(@NonNull Path path, long maxBytes, @NonNull String what) {
        return new String(readAll(path, maxBytes, what), StandardCharsets.UTF_8);
    }
}
