package dlkit.cli;

import dlkit.data.Download;
import java.io.PrintStream;
import java.util.Locale;

/** Shows data set downloads as a one-line progress bar (redrawn at most five times a second). */
final class DownloadProgress implements Download.Listener {
    private final PrintStream out;
    private String current;
    private long lastDraw;

    DownloadProgress(PrintStream out) {
        this.out = out;
    }

    @Override
    public void progress(String file, long bytes, long total) {
        long now = System.nanoTime();
        boolean done = total > 0 && bytes >= total;
        if (!file.equals(current)) {
            current = file;
            lastDraw = 0;
        }
        if (!done && now - lastDraw < 200_000_000L) {
            return;
        }
        lastDraw = now;
        String bar = "";
        if (total > 0) {
            int filled = (int) (20 * bytes / total);
            bar = "━".repeat(filled) + "─".repeat(20 - filled) + " ";
        }
        out.printf(Locale.ROOT, "\rdownloading %s %s%.1f MB%s", file, bar, bytes / 1e6, total > 0 ? String.format(Locale.ROOT, " / %.1f MB", total / 1e6) : "");
        if (done) {
            out.println();
        }
        out.flush();
    }
}
