package dlkit.keras;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.DlkitException;
import dlkit.ModelFileException;
import dlkit.config.Json;
import dlkit.files.AtomicFile;
import dlkit.files.InputFiles;
import dlkit.files.ZipEntries;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.model.ModelFormat;
import io.jhdf.api.Dataset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Keras 3 files: the {@code .keras} zip ({@code config.json}, {@code metadata.json}, {@code model.weights.h5}),
 * {@code model.to_json()} text with a {@code .weights.h5} beside it, and weights alone. A file from a stranger is
 * data: only Keras' own modules and classes, no Lambda or custom objects, only the known zip entries, every entry read
 * through a limit derived from the config, and every dataset's shape checked against the layer before it is read.
 */
public final class KerasFormat implements ModelFormat {
    /** The Keras release whose files these are checked against (fixtures and round trips in the tests). */
    public static final String KERAS_VERSION = "3.15.1";
    static final String CONFIG = "config.json";
    static final String METADATA = "metadata.json";
    static final String WEIGHTS = "model.weights.h5";
    private static final long MAX_METADATA = 1L << 20;

    /** For {@link java.util.ServiceLoader}. */
    public KerasFormat() {}

    @Override
    public List<String> extensions() {
        return List.of(".keras", ".weights.h5", ".h5");
    }

    @Override
    public void save(Model model, Path path, @Nullable JsonNode trainingState) {
        if (trainingState != null) {
            throw new ModelFileException(path + ": a Keras file cannot hold dlkit's training state; checkpoints are .dlk files");
        }
        if (isWeightsFile(path)) {
            writeWeights(model, path);
        } else if (name(path).endsWith(".h5")) {
            throw new KerasFormatException(path + ": dlkit reads legacy .h5 model files but writes Keras 3's .keras (or .weights.h5 for weights alone)");
        } else {
            writeKeras(model, path);
        }
    }

    @Override
    public Model load(Path path) {
        if (isWeightsFile(path)) {
            throw new KerasFormatException(path + ": a .weights.h5 file holds weights only; load its model (.keras, or the JSON with --weights)");
        }
        return name(path).endsWith(".h5") ? readLegacyH5(path) : readKeras(path);
    }

    @Override
    public @Nullable JsonNode trainingState(Path path) {
        return null;
    }

    static boolean isWeightsFile(Path path) {
        return name(path).endsWith(".weights.h5");
    }

    private static String name(Path path) {
        return path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
    }

    /** Whether a JSON text is Keras' (a {@code class_name} at the top) rather than dlkit's ({@code "format": "dlkit-model"}). */
    public static boolean isKerasJson(@NonNull JsonNode node) {
        return node.isObject() && node.has("class_name") && !node.has("format");
    }

    // ---- reading

    /** An existing regular file (a device or FIFO is never a model file: the readers would read it without end). */
    private static void requireModelFile(Path path, String what) {
        try {
            InputFiles.size(path, what);
        } catch (ModelFileException e) {
            throw e;
        } catch (DlkitException e) {
            throw new ModelFileException(e.getMessage(), e);
        }
    }

    /** A {@code .keras} archive. */
    public static @NonNull Model readKeras(@NonNull Path path) {
        String src = path.toString();
        requireModelFile(path, ".keras model file");
        try (ZipFile zip = new ZipFile(path.toFile())) {
            Map<String, ZipEntry> found = new LinkedHashMap<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                String n = e.getName();
                if (n.equals("assets/") || n.startsWith("assets/") && !n.contains("..")) {
                    continue;
                }
                if (!n.equals(CONFIG) && !n.equals(METADATA) && !n.equals(WEIGHTS)) {
                    throw new KerasFormatException(src + ": unexpected entry \"" + n + "\"; a .keras file holds " + CONFIG + ", " + METADATA
                            + ", " + WEIGHTS + " (and assets/, ignored)");
                }
                if (found.put(n, e) != null) {
                    throw new KerasFormatException(src + ": duplicate entry \"" + n + "\"");
                }
            }
            if (!found.containsKey(CONFIG)) {
                throw new KerasFormatException(src + ": not a Keras 3 model file: no " + CONFIG);
            }
            JsonNode config = parse(ZipEntries.readBounded(zip, found.get(CONFIG), InputFiles.MAX_CONFIG_BYTES, src), src + "!" + CONFIG);
            if (found.containsKey(METADATA)) {
                parse(ZipEntries.readBounded(zip, found.get(METADATA), MAX_METADATA, src), src + "!" + METADATA);
            }
            KerasGraph.Result graph = KerasGraph.read(config, src + "!" + CONFIG);
            byte[] h5 = null;
            if (found.containsKey(WEIGHTS)) {
                h5 = ZipEntries.readBounded(zip, found.get(WEIGHTS), weightsLimit(graph), src);
            }
            return build(graph, config.get("compile_config"), h5, src + "!" + WEIGHTS, src + "!" + CONFIG);
        } catch (IllegalArgumentException e) {
            // java.util.zip's answer to an entry name or comment that is not valid UTF-8
            throw new ModelFileException(src + ": not a valid .keras file (zip): " + e.getMessage(), e);
        } catch (ZipException e) {
            throw new KerasFormatException(src + ": not a valid .keras file (zip): " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(src + ": no such file", e);
        } catch (IOException e) {
            throw new ModelFileException(src + ": cannot read: " + e, e);
        }
    }

    /**
     * Keras' {@code model.to_json()} text, with weights from {@code weights} (a {@code .weights.h5}) or, when null,
     * from {@code NAME.weights.h5} beside the JSON if there is one; without weights the model is freshly initialised.
     */
    public static @NonNull Model readJson(@NonNull Path json, @Nullable Path weights) {
        String src = json.toString();
        JsonNode config = parse(InputFiles.readAll(json, InputFiles.MAX_CONFIG_BYTES, "Keras model JSON"), src);
        if (weights == null) {
            String n = json.getFileName().toString();
            Path beside = json.resolveSibling((n.endsWith(".json") ? n.substring(0, n.length() - 5) : n) + ".weights.h5");
            if (Files.isRegularFile(beside)) {
                weights = beside;
            }
        }
        KerasGraph.Result graph = KerasGraph.read(config, src);
        byte[] h5 = weights == null ? null : InputFiles.readAll(weights, weightsLimit(graph), "Keras weights file");
        return build(graph, config.get("compile_config"), h5, weights == null ? null : weights.toString(), src);
    }

    /**
     * A legacy full-model HDF5 file ({@code model.save("x.h5")}): the config in the root attribute {@code model_config},
     * each layer's weights under {@code model_weights/<layer name>} in the order of its {@code weight_names}, and
     * the optimizer, loss and metrics from {@code training_config} (without the optimizer's state).
     */
    public static @NonNull Model readLegacyH5(@NonNull Path path) {
        String src = path.toString();
        requireModelFile(path, "legacy Keras .h5 model file");
        try (KerasWeights h5 = KerasWeights.open(path)) {
            Object config = h5.attribute("", "model_config");
            if (!(config instanceof String text)) {
                throw new KerasFormatException(src + ": no model_config attribute: a weights-only .h5 needs its model (load the JSON with --weights)");
            }
            if (text.length() > InputFiles.MAX_CONFIG_BYTES) {
                throw new KerasFormatException(src + ": model_config of " + text.length() + " characters");
            }
            JsonNode root = parse(text.getBytes(StandardCharsets.UTF_8), src + ": model_config");
            KerasGraph.Result graph = KerasGraph.read(root, src + ": model_config");
            Model model = probe(graph, src);
            assignLegacy(model, graph, h5, src);
            Object training = h5.attribute("", "training_config");
            if (training instanceof String t && t.length() <= InputFiles.MAX_CONFIG_BYTES) {
                JsonNode tc = parse(t.getBytes(StandardCharsets.UTF_8), src + ": training_config");
                ObjectNode compile = tc.deepCopy();
                compile.set("optimizer", tc.path("optimizer_config"));
                compile.remove("optimizer_config");
                KerasCompile.apply(model, compile, null, graph.layers(), src + ": training_config");
            }
            return model;
        }
    }

    private static void assignLegacy(Model model, KerasGraph.Result graph, KerasWeights h5, String src) {
        Map<String, INDArray> target = model.getWeights();
        Map<String, INDArray> values = new LinkedHashMap<>(target);
        for (KerasGraph.Imported l : graph.layers().values()) {
            List<String> keys = KerasExport.keysOf(target, l.name());
            if (keys.isEmpty()) {
                continue;
            }
            String group = "model_weights/" + l.topName();
            Object names = h5.attribute(group, "weight_names");
            if (!(names instanceof String[] all)) {
                throw new KerasFormatException(src + ": " + group + " has no weight_names for " + l.kerasClass() + " \"" + l.kerasName() + "\"");
            }
            // A layer inside a nested model: its weights are those of the nested model's list that pass through its name.
            String[] list = l.topName().equals(l.kerasName()) ? all
                    : java.util.Arrays.stream(all).filter(n -> List.of(n.split("/")).contains(l.kerasName())).toArray(String[]::new);
            if (list.length != keys.size()) {
                throw new KerasFormatException(src + ": " + group + " lists " + list.length + " weights " + java.util.Arrays.toString(list)
                        + ", dlkit's " + l.kerasClass() + " has " + keys.size());
            }
            for (int i = 0; i < keys.size(); i++) {
                INDArray t = target.get(keys.get(i));
                int[] shape = java.util.Arrays.stream(t.shape()).mapToInt(d -> (int) d).toArray();
                float[] f = h5.floats(h5.dataset(group + "/" + list[i]), shape, keys.get(i));
                values.put(keys.get(i), Nd4j.create(f, t.shape(), 'c').castTo(t.dataType()));
            }
        }
        try {
            model.setWeights(values);
        } catch (DlkitException e) {
            throw new KerasFormatException(src + ": " + e.getMessage(), e);
        }
    }

    /** A model from its JSON text as Keras' {@code model_from_json} reads it (weights freshly initialised). */
    public static @NonNull Model fromJson(@NonNull String json, @NonNull String source) {
        JsonNode config = parse(json.getBytes(StandardCharsets.UTF_8), source);
        return build(KerasGraph.read(config, source), config.get("compile_config"), null, null, source);
    }

    /** Loads Keras weights ({@code .weights.h5}) into a model built from the same architecture. */
    public static void loadWeights(@NonNull Model model, @NonNull Path weights) {
        ObjectNode config = KerasExport.config(model, model.name());
        KerasGraph.Result graph = KerasGraph.read(config, model.name());
        byte[] h5 = InputFiles.readAll(weights, weightsLimit(graph), "Keras weights file");
        try (KerasWeights w = KerasWeights.open(h5, weights.toString())) {
            assign(model, graph, w);
        }
    }

    private static JsonNode parse(byte[] bytes, String src) {
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new KerasFormatException(src + ": malformed JSON" + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "")
                    + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            // Jackson's encoding detection on bytes that are no text (CharConversionException)
            throw new KerasFormatException(src + ": not JSON text: " + e.getMessage(), e);
        }
    }

    /** What a weights file for this architecture can need: the weights and two moments each, and per-object headers. */
    private static long weightsLimit(KerasGraph.Result graph) {
        Model probe = probe(graph, "");
        return 16L * probe.paramCount() + (1L << 20) + 65536L * graph.layers().size();
    }

    private static Model probe(KerasGraph.Result graph, String src) {
        try {
            ObjectNode c = graph.config().deepCopy();
            return ModelConfig.fromNode(c, "");
        } catch (DlkitException e) {
            throw new KerasFormatException((src.isEmpty() ? "" : src + ": ") + e.getMessage(), e);
        }
    }

    private static Model build(KerasGraph.Result graph, @Nullable JsonNode compile, byte @Nullable [] h5, @Nullable String wsrc, String src) {
        KerasWeights w = h5 == null ? null : KerasWeights.open(h5, wsrc);
        try {
            if (w != null) {
                fillNormalization(graph, w);
            }
            Model model = probe(graph, src);
            if (w != null) {
                assign(model, graph, w);
            }
            if (compile != null && compile.isObject() && !compile.isEmpty()) {
                KerasCompile.apply(model, compile, w, graph.layers(), src);
            }
            return model;
        } finally {
            if (w != null) {
                w.close();
            }
        }
    }

    /** A Normalization adapted in Keras keeps its statistics as variables; dlkit keeps them in the layer's config. */
    private static void fillNormalization(KerasGraph.Result graph, KerasWeights w) {
        for (KerasGraph.Imported l : graph.layers().values()) {
            if (!l.kerasClass().equals("Normalization") || !l.config().path("mean").isNull() && l.config().has("mean")) {
                continue;
            }
            List<Dataset> vars = w.vars(l.varGroups().get(0));
            if (vars.isEmpty()) {
                continue;
            }
            if (vars.size() != 3) {
                throw new KerasFormatException(l.varGroups().get(0) + ": Normalization \"" + l.name() + "\" has " + vars.size()
                        + " variables, expected mean, variance and count");
            }
            int[] dims = vars.get(0).getDimensions();
            long n = 1;
            for (int d : dims) {
                n *= d;
            }
            if (n > 1 << 24) {
                throw new KerasFormatException(vars.get(0).getPath() + ": Normalization \"" + l.name() + "\" statistics of " + n + " values");
            }
            ArrayNode mean = l.config().putArray("mean");
            ArrayNode variance = l.config().putArray("variance");
            for (float f : w.floats(vars.get(0), dims, "mean of " + l.name())) {
                mean.add(f);
            }
            for (float f : w.floats(vars.get(1), dims, "variance of " + l.name())) {
                variance.add(f);
            }
        }
    }

    private static void assign(Model model, KerasGraph.Result graph, KerasWeights w) {
        Map<String, INDArray> target = model.getWeights();
        Map<String, INDArray> values = new LinkedHashMap<>(target);
        for (KerasGraph.Imported l : graph.layers().values()) {
            if (l.kerasClass().equals("Normalization") || l.varGroups().isEmpty()) {
                continue;
            }
            List<List<String>> keys = split(KerasExport.keysOf(target, l.name()), l.varGroups().size());
            for (int g = 0; g < keys.size(); g++) {
                String group = l.varGroups().get(g);
                List<Dataset> ds = w.vars(group);
                List<String> ks = keys.get(g);
                if (ds.size() != ks.size()) {
                    throw new KerasFormatException(group + ": " + l.kerasClass() + " \"" + l.name() + "\" has " + ds.size() + " variables in the file, dlkit's has "
                            + ks.size() + " " + ks.stream().map(k -> k.substring(k.indexOf('.') + 1)).toList());
                }
                for (int i = 0; i < ks.size(); i++) {
                    INDArray t = target.get(ks.get(i));
                    int[] shape = java.util.Arrays.stream(t.shape()).mapToInt(d -> (int) d).toArray();
                    float[] f = w.floats(ds.get(i), shape, ks.get(i));
                    values.put(ks.get(i), Nd4j.create(f, t.shape(), 'c').castTo(t.dataType()));
                }
            }
        }
        try {
            model.setWeights(values);
        } catch (DlkitException e) {
            throw new KerasFormatException(e.getMessage(), e);
        }
    }

    /** A layer's weights per variable group: Bidirectional's forward_ and backward_ halves, else all in one. */
    static List<List<String>> split(List<String> keys, int groups) {
        if (groups == 1) {
            return List.of(keys);
        }
        List<String> forward = new ArrayList<>();
        List<String> backward = new ArrayList<>();
        for (String k : keys) {
            (k.substring(k.indexOf('.') + 1).startsWith("backward_") ? backward : forward).add(k);
        }
        return List.of(forward, backward);
    }

    // ---- writing

    /** The Keras 3 config of a model, as {@code model.to_json()} writes it. */
    public static @NonNull String toJson(@NonNull Model model) {
        try {
            return Json.MAPPER.writeValueAsString(KerasExport.config(model, model.name())) + "\n";
        } catch (JsonProcessingException e) {
            throw new DlkitException("cannot write Keras config: " + e.getMessage(), e);
        }
    }

    public static void writeKeras(@NonNull Model model, @NonNull Path path) {
        ObjectNode config = KerasExport.config(model, model.name());
        byte[] h5 = weightsBytes(model, config);
        ObjectNode meta = Json.MAPPER.createObjectNode();
        meta.put("keras_version", KERAS_VERSION);
        meta.put("date_saved", java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd@HH:mm:ss")));
        meta.put("producer", "dlkit");
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(METADATA, meta.toString().getBytes(StandardCharsets.UTF_8));
        entries.put(CONFIG, config.toString().getBytes(StandardCharsets.UTF_8));
        entries.put(WEIGHTS, h5);
        AtomicFile.write(path, out -> {
            try (ZipOutputStream zip = new ZipOutputStream(out)) {
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    zip.putNextEntry(new ZipEntry(e.getKey()));
                    zip.write(e.getValue());
                    zip.closeEntry();
                }
            }
        });
    }

    /** Keras' {@code model.save_weights("x.weights.h5")}. */
    public static void writeWeights(@NonNull Model model, @NonNull Path path) {
        AtomicFile.write(path, weightsBytes(model, KerasExport.config(model, model.name())));
    }

    /** {@code model.to_json()} text, written atomically. */
    public static void writeJson(@NonNull Model model, @NonNull Path path) {
        AtomicFile.writeString(path, toJson(model));
    }

    private static byte[] weightsBytes(Model model, ObjectNode config) {
        KerasWeights.Writer w = KerasExport.weights(model, config);
        Path tmp = null;
        try {
            tmp = Files.createTempFile("dlkit-keras-", ".weights.h5");
            w.write(tmp);
            return Files.readAllBytes(tmp);
        } catch (IOException e) {
            throw new ModelFileException("cannot write Keras weights: " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // a temp file left in the system temp directory is harmless
                }
            }
        }
    }
}
