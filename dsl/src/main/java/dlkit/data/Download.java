package dlkit.data;

import dlkit.DlkitException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * Fetches data set files over HTTP(S) into a directory: each file streamed to a temp file, its MD5 checked against
 * the published checksum, then renamed into place — a failed or corrupt download never leaves a file behind.
 */
public final class Download {
    /** A file to fetch and its published MD5. */
    public record FileSpec(@NonNull String name, @NonNull String md5) {}

    /** Progress of one file: bytes so far and the total (-1 when the server does not say). */
    public interface Listener {
        void progress(@NonNull String file, long bytes, long total);

        Listener NONE = (f, b, t) -> { };
    }

    private Download() {}

    public static void fetch(@NonNull URI base, @NonNull List<FileSpec> files, @NonNull Path dir, @NonNull Listener listener) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NORMAL).build();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new DlkitException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        for (FileSpec f : files) {
            Path target = dir.resolve(f.name());
            if (Files.exists(target)) {
                continue;
            }
            URI uri = base.resolve(f.name());
            Path tmp = null;
            try {
                tmp = Files.createTempFile(dir, "." + f.name() + ".", ".part");
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() != 200) {
                    r.body().close();
                    throw new DlkitException(uri + ": HTTP " + r.statusCode());
                }
                long total = r.headers().firstValueAsLong("content-length").orElse(-1);
                MessageDigest md5 = MessageDigest.getInstance("MD5");
                try (InputStream in = r.body(); OutputStream out = Files.newOutputStream(tmp)) {
                    byte[] buf = new byte[1 << 16];
                    long done = 0;
                    for (int n; (n = in.read(buf)) > 0; ) {
                        out.write(buf, 0, n);
                        md5.update(buf, 0, n);
                        done += n;
                        listener.progress(f.name(), done, total);
                    }
                }
                String got = HexFormat.of().formatHex(md5.digest());
                if (!got.equalsIgnoreCase(f.md5())) {
                    throw new DlkitException(uri + ": checksum mismatch: MD5 " + got + ", expected " + f.md5() + " (corrupt or changed file; nothing was kept)");
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                tmp = null;
            } catch (IOException e) {
                throw new DlkitException(uri + ": download failed: " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DlkitException(uri + ": download interrupted", e);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            } finally {
                if (tmp != null) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // nothing else to do: the target was never written
                    }
                }
            }
        }
    }
}
