package dlkit.run;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.data.ArrayDataset;
import dlkit.data.Csv;
import dlkit.data.Idx;
import dlkit.data.NamedDatasets;
import dlkit.data.Npy;
import dlkit.data.Playground;
import dlkit.data.TextWindows;
import dlkit.tensor.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Data sources in a run config. Paths are relative to the config file.
 * <ul>
 * <li>{@code {"type": "fashion-mnist" | "mnist" | "digits", "split": "train" | "test"}} — named data sets
 * <li>{@code {"type": "playground", "dataset": "spiral", "samples": 500, "noise": 0.1, "seed": 1}}
 * <li>{@code {"type": "idx", "images": "...", "labels": "..."}}
 * <li>{@code {"type": "csv", "path": "...", "label": "label", "one_hot": 0, "header": "auto"}} (label: a name or a 0-based
 * index; one_hot: class count, 0 = class indices; header: true, false or "auto")
 * <li>{@code {"type": "npy", "x": "...", "y": "..."}}
 * <li>{@code {"type": "text-windows", "files": [...], "window": 64, "stride": 16, "test_fraction": 0.2, "split": "train"}}
 * </ul>
 */
public final class DataSources {
    static final Map<String, Set<String>> KEYS = Map.of(
            "fashion-mnist", Set.of("type", "limit", "split"),
            "mnist", Set.of("type", "limit", "split"),
            "digits", Set.of("type", "limit", "split"),
            "playground", Set.of("type", "limit", "dataset", "samples", "noise", "seed"),
            "idx", Set.of("type", "limit", "images", "labels"),
            "csv", Set.of("type", "limit", "path", "label", "one_hot", "header"),
            "npy", Set.of("type", "limit", "x", "y"),
            "text-windows", Set.of("type", "limit", "files", "window", "stride", "test_fraction", "split"));
    public static final List<String> TYPES = List.of("fashion-mnist", "mnist", "digits", "playground", "idx", "csv", "npy", "text-windows");

    private DataSources() {}

    public static @NonNull ArrayDataset load(@NonNull JsonNode src, @NonNull String path, @NonNull Path baseDir) {
        if (!src.isObject() || !src.path("type").isTextual()) {
            throw new ConfigException(path, "expected a data source object with \"type\" (one of " + TYPES + ")");
        }
        String type = src.get("type").asText();
        Set<String> keys = KEYS.get(type);
        if (keys == null) {
            String hint = Json.suggest(type, TYPES);
            throw new ConfigException(path + ".type", "unknown data source \"" + type + "\"" + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + TYPES));
        }
        Json.checkKeys(src, keys, path);
        int limit = -1;
        if (src.has("limit")) {
            limit = Json.integer(src.get("limit"), path + ".limit", 1, Integer.MAX_VALUE, "a positive number of samples");
        }
        ArrayDataset all = loadAll(src, type, path, baseDir);
        // The first samples: for the Fashion-MNIST and MNIST training sets those are close to balanced across classes.
        return limit < 0 || limit >= all.count() ? all : all.slice(0, limit);
    }

    private static ArrayDataset loadAll(JsonNode src, String type, String path, Path baseDir) {
        try {
            return switch (type) {
                case "fashion-mnist", "mnist", "digits" -> NamedDatasets.load(type, src.has("split") ? RunConfig.text(src.get("split"), path + ".split") : "train");
                case "playground" -> Playground.generate(
                        src.has("dataset") ? RunConfig.text(src.get("dataset"), path + ".dataset") : "spiral",
                        src.has("samples") ? Json.integer(src.get("samples"), path + ".samples", 1, Integer.MAX_VALUE, "a positive number of samples") : 500,
                        src.has("noise") ? number(src.get("noise"), path + ".noise") : 0,
                        src.has("seed") ? Json.integer(src.get("seed"), path + ".seed") : 0);
                case "idx" -> Idx.dataset(file(src, "images", path, baseDir), file(src, "labels", path, baseDir), false);
                case "csv" -> {
                    Path p = file(src, "path", path, baseDir);
                    String label = src.has("label") ? label(src.get("label"), path + ".label") : "label";
                    int oneHot = src.has("one_hot") ? Json.integer(src.get("one_hot"), path + ".one_hot", 0, 1 << 20, "a number of classes (0: labels are class indices)") : 0;
                    yield Csv.dataset(Csv.read(p, header(src.get("header"), path + ".header")), label, oneHot, p.toString());
                }
                case "npy" -> {
                    Path xp = file(src, "x", path, baseDir);
                    Path yp = file(src, "y", path, baseDir);
                    Npy.Array x = Npy.read(xp);
                    Npy.Array y = Npy.read(yp);
                    if (x.shape().length < 2 || y.shape().length < 1 || x.shape()[0] != y.shape()[0]) {
                        throw new DlkitException(xp + " is shaped " + java.util.Arrays.toString(x.shape()) + " and " + yp + " "
                                + java.util.Arrays.toString(y.shape()) + ": expected [samples, ...] and [samples] or [samples, k]");
                    }
                    int[] dims = new int[x.shape().length - 1];
                    for (int i = 0; i < dims.length; i++) {
                        dims[i] = (int) x.shape()[i + 1];
                    }
                    int lw = y.shape().length == 1 ? 1 : (int) (y.values().length / y.shape()[0]);
                    yield new ArrayDataset(x.values(), Shape.of(dims), y.values(), lw);
                }
                case "text-windows" -> {
                    JsonNode files = src.path("files");
                    if (!files.isArray() || files.isEmpty()) {
                        throw new ConfigException(path + ".files", "expected a list of text file paths (one class each), got " + files);
                    }
                    List<Path> paths = new java.util.ArrayList<>();
                    for (int i = 0; i < files.size(); i++) {
                        Path p = Path.of(RunConfig.text(files.get(i), path + ".files[" + i + "]"));
                        Path resolved = p.isAbsolute() ? p : baseDir.resolve(p);
                        if (!java.nio.file.Files.isRegularFile(resolved)) {
                            throw new ConfigException(path + ".files[" + i + "]", "no such file: " + resolved);
                        }
                        paths.add(resolved);
                    }
                    String split = src.has("split") ? RunConfig.text(src.get("split"), path + ".split") : "train";
                    if (!split.equals("train") && !split.equals("test")) {
                        throw new ConfigException(path + ".split", "expected \"train\" or \"test\", got \"" + split + "\"");
                    }
                    yield TextWindows.load(paths, src.has("window") ? Json.integer(src.get("window"), path + ".window", 1, 1 << 20, "a window length in characters") : 64,
                            src.has("stride") ? Json.integer(src.get("stride"), path + ".stride", 1, 1 << 20, "a stride in characters") : 16,
                            src.has("test_fraction") ? number(src.get("test_fraction"), path + ".test_fraction") : 0.2, split.equals("test"));
                }
                default -> throw new IllegalStateException(type);
            };
        } catch (IllegalArgumentException e) {
            throw ConfigException.folded(path, e.getMessage(), e);
        } catch (ConfigException e) {
            throw e;
        } catch (dlkit.ResourceException e) {
            throw ConfigException.folded(path, e.getMessage(), e);
        } catch (DlkitException e) {
            throw new ConfigException(path, e.getMessage(), e);
        }
    }

    /** A label column: its name, or its 0-based index (for a file without a header). */
    private static String label(JsonNode n, String path) {
        if (n.isTextual()) {
            return n.asText();
        }
        return Integer.toString(Json.integer(n, path, 0, Integer.MAX_VALUE, "a column name or a 0-based column index"));
    }

    /** {@code header}: true, false or "auto" (the default: a first row with a non-number in it is a header). */
    private static Csv.Header header(@Nullable JsonNode n, String path) {
        if (n == null || (n.isTextual() && n.asText().equals("auto"))) {
            return Csv.Header.AUTO;
        }
        if (!n.isBoolean()) {
            throw new ConfigException(path, "expected true, false or \"auto\", got " + n);
        }
        return n.asBoolean() ? Csv.Header.PRESENT : Csv.Header.ABSENT;
    }

    static double number(JsonNode n, String path) {
        if (!n.isNumber()) {
            throw new ConfigException(path, "expected a number, got " + n);
        }
        return n.asDouble();
    }

    /** The file keys of the data sources: a source's relative paths resolve against its config's directory. */
    private static final List<String> FILE_KEYS = List.of("images", "labels", "path", "x", "y");

    /**
     * {@code src} (a data source, or a section holding sources such as {@code data}) with every relative file path
     * made absolute against {@code baseDir}: the same data for a copy of the config written elsewhere.
     */
    public static @NonNull JsonNode withAbsolutePaths(@NonNull JsonNode src, @NonNull Path baseDir) {
        JsonNode copy = src.deepCopy();
        absolutize(copy, baseDir.toAbsolutePath());
        return copy;
    }

    private static void absolutize(JsonNode n, Path baseDir) {
        if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            for (String key : FILE_KEYS) {
                if (o.path(key).isTextual() && !Path.of(o.get(key).asText()).isAbsolute()) {
                    o.put(key, baseDir.resolve(o.get(key).asText()).normalize().toString());
                }
            }
            if (o.path("files").isArray()) {
                com.fasterxml.jackson.databind.node.ArrayNode files = (com.fasterxml.jackson.databind.node.ArrayNode) o.get("files");
                for (int i = 0; i < files.size(); i++) {
                    if (files.get(i).isTextual() && !Path.of(files.get(i).asText()).isAbsolute()) {
                        files.set(i, baseDir.resolve(files.get(i).asText()).normalize().toString());
                    }
                }
            }
            o.fields().forEachRemaining(e -> absolutize(e.getValue(), baseDir));
        }
    }

    static Path file(JsonNode src, String key, String path, Path baseDir) {
        if (!src.has(key)) {
            throw new ConfigException(path, "missing required key \"" + key + "\"");
        }
        Path p = Path.of(RunConfig.text(src.get(key), path + "." + key));
        return p.isAbsolute() ? p : baseDir.resolve(p);
    }
}
