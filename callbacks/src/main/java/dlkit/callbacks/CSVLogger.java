package dlkit.callbacks;

import dlkit.DlkitException;
import dlkit.files.AtomicFile;
import dlkit.files.OutputPaths;
import dlkit.model.Callback;
import dlkit.model.History;
import dlkit.model.TrainingState;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * One CSV row per epoch ({@code epoch} 1-based, then the logs in order), flushed as each epoch ends. A fresh run
 * truncates the file, {@code append} continues an existing one; a run resumed from a checkpoint rewrites the rows of
 * its restored history, so the file never holds an epoch twice or a row of an epoch the checkpoint did not keep.
 */
public final class CSVLogger implements Callback {
    private final Path file;
    private final String separator;
    private final boolean append;
    private final @Nullable String numberFormat;
    private List<String> keys;
    private boolean started;

    public CSVLogger(@NonNull Path file) {
        this(file, ",", false);
    }

    public CSVLogger(@NonNull Path file, @NonNull String separator, boolean append) {
        this(file, separator, append, null);
    }

    /** {@code numberFormat}: how values are written ({@code "%.6g"}); null writes every digit ({@link Double#toString}). */
    public CSVLogger(@NonNull Path file, @NonNull String separator, boolean append, @Nullable String numberFormat) {
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("separator: expected a non-empty string");
        }
        this.file = file;
        this.separator = separator;
        this.append = append;
        this.numberFormat = numberFormat;
    }

    private String format(double v) {
        return numberFormat == null ? Double.toString(v) : String.format(Locale.ROOT, numberFormat, v);
    }

    public @NonNull Path file() {
        return file;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        started = false;
        keys = null;
    }

    @Override
    public void onEpochBegin(int epoch, TrainingState state) {
        if (started) {
            return;
        }
        // First epoch of this fit, after any checkpoint was restored.
        started = true;
        History h = state.history();
        if (state.isResumed() || !append || !Files.exists(file)) {
            StringBuilder sb = new StringBuilder();
            if (!h.epochs().isEmpty()) {
                keys = h.keys();
                sb.append(header());
                for (int i = 0; i < h.epochs().size(); i++) {
                    List<String> row = new ArrayList<>();
                    row.add(Integer.toString(h.epochs().get(i) + 1));
                    for (String k : keys) {
                        row.add(format(h.get(k).get(i)));
                    }
                    sb.append(String.join(separator, row)).append('\n');
                }
            }
            AtomicFile.write(file, o -> o.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } else {
            keys = readHeader();
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        StringBuilder sb = new StringBuilder();
        if (keys == null) {
            keys = new ArrayList<>(logs.keySet());
            sb.append(header());
        }
        List<String> row = new ArrayList<>();
        row.add(Integer.toString(epoch + 1));
        for (String k : keys) {
            Double v = logs.get(k);
            row.add(v == null ? "" : format(v));
        }
        sb.append(String.join(separator, row)).append('\n');
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            w.write(sb.toString());
        } catch (IOException e) {
            throw new DlkitException("CSVLogger: cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private String header() {
        return "epoch" + separator + String.join(separator, keys) + "\n";
    }

    private List<String> readHeader() {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty() || lines.get(0).isBlank()) {
                return null;
            }
            String[] cols = lines.get(0).split(java.util.regex.Pattern.quote(separator), -1);
            if (!cols[0].equals("epoch")) {
                throw new DlkitException("CSVLogger: " + file + " does not start with an \"epoch\" header; cannot append to it (found \"" + lines.get(0) + "\")");
            }
            return List.of(cols).subList(1, cols.length);
        } catch (IOException e) {
            throw new DlkitException("CSVLogger: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static CSVLogger fromConfig(Options o, Path outputDir) {
        Path f = OutputPaths.inside(outputDir, o.string("filename", "log.csv"), o.at("filename"));
        String sep = o.string("separator", ",");
        CSVLogger[] r = new CSVLogger[1];
        o.apply("separator", () -> r[0] = new CSVLogger(f, sep, o.bool("append", false)));
        return r[0];
    }
}
