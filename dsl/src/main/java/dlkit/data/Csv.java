package dlkit.data;

import dlkit.DlkitException;
import dlkit.files.InputFiles;
import dlkit.tensor.Memory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Numeric CSV: a header row or not (found by looking: a first row with any non-numeric cell is a header), a label
 * column chosen by name or index (or absent, for prediction inputs). Lines are read through a length cap and the
 * values through the heap budget, so no file can make the reader allocate without bound.
 */
public final class Csv {
    public record Table(@NonNull List<String> columns, int rows, float @NonNull [] values) {
        /** The table without column {@code c} (a label column in a file given to predict). */
        public @NonNull Table without(int c) {
            int cols = columns.size();
            if (c < 0 || c >= cols) {
                throw new DlkitException("column " + c + " does not exist: the table has " + cols + " columns " + columns);
            }
            float[] v = new float[rows * (cols - 1)];
            for (int r = 0, k = 0; r < rows; r++) {
                for (int j = 0; j < cols; j++) {
                    if (j != c) {
                        v[k++] = values[r * cols + j];
                    }
                }
            }
            List<String> names = new ArrayList<>(columns);
            names.remove(c);
            return new Table(List.copyOf(names), rows, v);
        }

        /** The index of the column named {@code name}, or given as a 0-based index; an error naming the columns otherwise. */
        public int column(@NonNull String nameOrIndex, @NonNull String source) {
            int i = columns.indexOf(nameOrIndex);
            if (i >= 0) {
                return i;
            }
            if (nameOrIndex.matches("\\d{1,9}") && Integer.parseInt(nameOrIndex) < columns.size()) {
                return Integer.parseInt(nameOrIndex);
            }
            String hint = dlkit.config.Json.suggest(nameOrIndex, columns);
            throw new DlkitException(source + ": no column named \"" + nameOrIndex + "\"" + (hint != null ? "; did you mean \"" + hint + "\"?" : "")
                    + " (columns: " + (columns.size() > 12 ? columns.subList(0, 12) + "... " + columns.size() + " in all" : columns)
                    + (columns.get(0).equals("c0") ? "; the file has no header row, so name a column by its index from 0" : "") + ")");
        }
    }

    /** Whether the first row names the columns. */
    public enum Header {
        /** A header when any cell of the first row is not a number. */
        AUTO,
        PRESENT,
        ABSENT
    }

    /** Longest line read (in characters): 16 M, above any real feature row and far below the heap. */
    static final int MAX_LINE = 1 << 24;

    private Csv() {}

    /** {@code header}: the first row names the columns (true) or is data (false). */
    public static @NonNull Table read(@NonNull Path path, boolean header) {
        return read(path, header ? Header.PRESENT : Header.ABSENT);
    }

    public static @NonNull Table read(@NonNull Path path, @NonNull Header header) {
        try (InputStream raw = InputFiles.open(path, "CSV file")) {
            InputStream in = path.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            return parse(in, header, path.toString());
        } catch (java.util.zip.ZipException e) {
            throw new DlkitException(path + ": corrupt gzip data: " + e.getMessage());
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static @NonNull Table parse(@NonNull InputStream in, boolean header, @NonNull String source) throws IOException {
        return parse(in, header ? Header.PRESENT : Header.ABSENT, source);
    }

    public static @NonNull Table parse(@NonNull InputStream in, @NonNull Header header, @NonNull String source) throws IOException {
        Reader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        List<String> columns = null;
        float[] values = new float[1 << 12];
        int count = 0;
        int rows = 0;
        int lineNo = 0;
        StringBuilder sb = new StringBuilder();
        for (String line; (line = readLine(r, sb, source, lineNo + 1)) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            String[] cells = line.split(",", -1);
            if (columns == null) {
                boolean named = header == Header.PRESENT || (header == Header.AUTO && Arrays.stream(cells).anyMatch(c -> !isNumber(c)));
                if (named) {
                    columns = Arrays.stream(cells).map(String::trim).map(c -> c.replaceAll("^\"|\"$", "")).toList();
                    continue;
                }
                columns = new ArrayList<>();
                for (int i = 0; i < cells.length; i++) {
                    columns.add("c" + i);
                }
            }
            if (cells.length != columns.size()) {
                throw new DlkitException(source + ": line " + lineNo + " has " + cells.length + " values, the " + (columns.get(0).equals("c0") ? "first row" : "header")
                        + " has " + columns.size());
            }
            if ((long) count + cells.length > values.length) {
                long grown = Math.max((long) values.length * 2, (long) count + cells.length);
                if (grown > Integer.MAX_VALUE - 8) {
                    throw new DlkitException(source + ": more than 2^31 values by line " + lineNo);
                }
                Memory.requireHeap(grown * Float.BYTES, source + ": " + String.format("%,d", grown) + " values by line " + lineNo);
                values = Arrays.copyOf(values, (int) grown);
            }
            for (int i = 0; i < cells.length; i++) {
                try {
                    values[count++] = Float.parseFloat(cells[i].trim());
                } catch (NumberFormatException e) {
                    String cell = cells[i].trim();
                    throw new DlkitException(source + ": line " + lineNo + ", column \"" + columns.get(i) + "\": expected a number, got \""
                            + (cell.length() > 40 ? cell.substring(0, 40) + "..." : cell) + "\"");
                }
            }
            rows++;
        }
        if (columns == null) {
            throw new DlkitException(source + ": empty CSV file");
        }
        return new Table(columns, rows, Arrays.copyOf(values, count));
    }

    private static boolean isNumber(String cell) {
        try {
            Float.parseFloat(cell.trim());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The next line without its terminator (\n, \r\n), null at the end; a line over {@link #MAX_LINE} is an error. */
    private static @Nullable String readLine(Reader r, StringBuilder sb, String source, int lineNo) throws IOException {
        sb.setLength(0);
        int c;
        while ((c = r.read()) >= 0 && c != '\n') {
            if (sb.length() >= MAX_LINE) {
                throw new DlkitException(source + ": line " + lineNo + " is longer than " + MAX_LINE + " characters (not a CSV of numbers?)");
            }
            sb.append((char) c);
        }
        if (c < 0 && sb.length() == 0) {
            return null;
        }
        int end = sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r' ? sb.length() - 1 : sb.length();
        return sb.substring(0, end);
    }

    /**
     * Splits a table into features and labels: the column named {@code label} (or its 0-based index, for a file without
     * a header), one-hot encoded into {@code oneHotClasses} when > 0.
     */
    public static @NonNull ArrayDataset dataset(@NonNull Table t, @Nullable String label, int oneHotClasses, @NonNull String source) {
        int cols = t.columns().size();
        int li = label == null ? -1 : t.column(label, source);
        int f = li < 0 ? cols : cols - 1;
        if (f == 0) {
            throw new DlkitException(source + ": no feature columns: the only column is the label \"" + t.columns().get(li) + "\"");
        }
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
