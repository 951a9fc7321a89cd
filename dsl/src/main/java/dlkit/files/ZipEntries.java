package dlkit.files;

import dlkit.ModelFileException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.jspecify.annotations.NonNull;

/** Zip entries read from files made by strangers (model archives of any format). */
public final class ZipEntries {
    private ZipEntries() {}

    /** Reads an entry, failing as soon as more than {@code limit} bytes come out, whatever size the entry declares. */
    public static byte @NonNull [] readBounded(@NonNull ZipFile zip, @NonNull ZipEntry e, long limit, @NonNull String src) throws IOException {
        if (e.getSize() > limit) {
            throw new ModelFileException(src + ": entry " + e.getName() + " declares " + e.getSize() + " bytes, more than the " + limit + " this model can need");
        }
        try (InputStream in = zip.getInputStream(e)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(e.getSize(), 0), 1 << 20));
            byte[] buf = new byte[1 << 16];
            long total = 0;
            int r;
            while ((r = in.read(buf)) > 0) {
                total += r;
                if (total > limit) {
                    throw new ModelFileException(src + ": entry " + e.getName() + " expands beyond " + limit + " bytes (zip bomb or corrupt archive)");
                }
                out.write(buf, 0, r);
            }
            return out.toByteArray();
        }
    }
}
