package dlkit.data;

import dlkit.DlkitException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Numeric CSV with a header row; the label column is chosen by name (or is absent, for prediction inputs). */
public final class Csv {
    public record Table(@NonNull List<String> columns, int rows, float @NonNull [] values) {}

    private Csv() {}

    public static @NonNull Table read(@NonNull Path path, boolean header) {
        try (InputStream raw = Files.newInputStream(path)) {
            InputStream in = path.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
            return parse(in, header, path.toString());
        } catch (NoSuchFileException e) {
            throw new DlkitException(path + ": no such file");
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static @NonNull Table parse(@NonNull InputStream in, boolean header, @NonNull String source) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        List<String> columns = null;
        float[] values = new float[1 << 16];
        int count = 0;
        int rows = 0;
        int lineNo = 0;
        for (String line; (line = r.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (columns == null) {
                if (header) {
                    columns = Arrays.stream(cells).map(String::trim).map(c -> c.replaceAll("^\"|\"$", "")).toList();
                    continue;
                }
                columns = new ArrayList<>();
                for (int i = 0; i < cells.length; i++) {
                    columns.add("c" + i);
                }
            }
            if (cells.length != columns.size()) {
                throw new DlkitException(source + ": line " + lineNo + " has " + cells.length + " values, the header has " + columns.size());
            }
            if (count + cells.length > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, count + cells.length));
            }
            for (int i = 0; i < cells.length; i++) {
                try {
                    values[count++] = Float.parseFloat(cells[i].trim());
                } catch (NumberFormatException e) {
                    throw new DlkitException(source + ": line " + lineNo + ", column \"" + columns.get(i) + "\": expected a number, got \"" + cells[i].trim() + "\"");
                }
            }
            rows++;
        }
        if (columns == null) {
            throw new DlkitException(source + ": empty CSV file");
        }
        return new Table(columns, rows, Arrays.copyOf(values, count));
    }

    /** Splits a table into features and labels (the column named {@code label}; one-hot encoded into {@code classes} when > 0). */
    public static @NonNull ArrayDataset dataset(@NonNull Table t, @Nullable String label, int oneHotClasses, @NonNull String source) {
        int cols = t.columns().size();
        int li = label == null ? -1 : t.columns().indexOf(label);
        if (label != null && li < 0) {
            String hint = dlkit.config.Json.suggest(label, t.columns());
            throw new DlkitException(source + ": no column named \"" + label + "\"" + (hint != null ? "; did you mean \"" + hint + "\"?" : "") + " (columns: " + t.columns() + ")");
        }
        int f = li < 0 ? cols : cols - 1;
        float[] x = new float[t.rows() * f];
        int lw = li < 0 ? 0 : oneHotClasses > 0 ? oneHotClasses : 1;
        float[] y = new float[t.rows() * lw];
        for (int r = 0; r < t.rows(); r++) {
            int k = 0;
            for (int c = 0; c < cols; c++) {
                float v = t.values()[r * cols + c];
                if (c == li) {
                    if (oneHotClasses > 0) {
                        if (v != Math.rint(v) || v < 0 || v >= oneHotClasses) {
                            throw new DlkitException(source + ": row " + (r + 1) + ": label " + v + " is not a class in [0, " + oneHotClasses + ") for one-hot encoding");
                        }
                        y[r * lw + (int) v] = 1;
                    } else {
                        y[r] = v;
                    }
                } else {
                    x[r * f + k++] = v;
                }
            }
        }
        return new ArrayDataset(x, dlkit.tensor.Shape.of(f), y, lw);
    }
}
