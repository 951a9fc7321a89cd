package dlkit.io;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.DlkitException;
import dlkit.ModelFileException;
import dlkit.config.Json;
import dlkit.files.AtomicFile;
import dlkit.files.InputFiles;
import dlkit.files.ZipEntries;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.model.ModelFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The {@code .dlk} archive: a zip of {@code model.json}, {@code weights.safetensors}, {@code optimizer.safetensors}
 * (when compiled) and {@code metadata.json}. Reading trusts nothing: only those entry names, each read through a
 * hard byte limit derived from the config (a zip bomb stops at the limit, whatever sizes the zip declares), and the
 * weights checked against the architecture before use. Writing goes to a temp file renamed over the target.
 */
public final class ModelArchive implements ModelFormat {
    static final String CONFIG = "model.json";
    static final String WEIGHTS = "weights.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    static final String METADATA = "metadata.json";
    /** Present in training checkpoints only: position, running totals, history and callback state. */
    static final String TRAINING = "training.json";
    private static final Set<String> ENTRIES = Set.of(CONFIG, WEIGHTS, OPTIMIZER, METADATA, TRAINING);
    static final long MAX_CONFIG = 16L * 1024 * 1024;
    static final long MAX_METADATA = 1024L * 1024;
    /** Training state may hold callbacks' weight copies (EarlyStopping's best weights). */
    static final long MAX_TRAINING = 512L * 1024 * 1024;

    /** For {@link java.util.ServiceLoader}; the static methods are the same operations. */
    public ModelArchive() {}

    @Override
    public List<String> extensions() {
        return List.of(".dlk");
    }

    @Override
    public void save(Model model, Path path, @Nullable JsonNode trainingState) {
        write(model, path, trainingState);
    }

    @Override
    public Model load(Path path) {
        return read(path);
    }

    @Override
    public @Nullable JsonNode trainingState(Path path) {
        return readTraining(path);
    }

    public static void write(@NonNull Model model, @NonNull Path path) {
        write(model, path, null);
    }

    /** A model archive that also carries training state ({@code training.json}): a resumable checkpoint. */
    public static void write(@NonNull Model model, @NonNull Path path, @Nullable JsonNode training) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(CONFIG, model.toJson().getBytes(StandardCharsets.UTF_8));
        entries.put(WEIGHTS, Safetensors.write(model.getWeights(), Map.of("format", "dlkit", "dtype", model.dtype().jsonName())));
        if (model.isCompiled() && model.optimizerState() != null) {
            float[] st = model.optimizerState();
            Map<String, INDArray> t = new LinkedHashMap<>();
            t.put("state", Nd4j.create(st, new long[] {st.length}, 'c'));
            entries.put(OPTIMIZER, Safetensors.write(t, Map.of(
                    "optimizer", model.optimizer().type(),
                    "iterations", Long.toString(model.iterations()),
                    "learning_rate", Double.toString(model.learningRate()))));
        }
        var meta = Json.MAPPER.createObjectNode();
        meta.put("format", "dlkit-archive");
        meta.put("version", 1);
        meta.put("parameters", model.paramCount());
        meta.put("saved_at", java.time.Instant.now().toString());
        entries.put(METADATA, meta.toString().getBytes(StandardCharsets.UTF_8));
        if (training != null) {
            entries.put(TRAINING, training.toString().getBytes(StandardCharsets.UTF_8));
        }
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

    public static @NonNull Model read(@NonNull Path path) {
        String src = path.toString();
        checkFile(path);
        try (ZipFile zip = new ZipFile(path.toFile())) {
            Map<String, ZipEntry> found = new LinkedHashMap<>();
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                if (!ENTRIES.contains(e.getName())) {
                    throw new ModelFileException(src + ": unexpected archive entry \"" + e.getName() + "\"; a .dlk holds only " + ENTRIES);
                }
                if (found.put(e.getName(), e) != null) {
                    throw new ModelFileException(src + ": duplicate archive entry \"" + e.getName() + "\"");
                }
            }
            for (String required : new String[] {CONFIG, WEIGHTS}) {
                if (!found.containsKey(required)) {
                    throw new ModelFileException(src + ": not a dlkit model archive: missing " + required);
                }
            }
            String json = new String(ZipEntries.readBounded(zip, found.get(CONFIG), MAX_CONFIG, src), StandardCharsets.UTF_8);
            Model model;
            try {
                model = ModelConfig.fromJson(json, src + "!" + CONFIG);
            } catch (DlkitException e) {
                throw new ModelFileException(src + "!" + CONFIG + ": " + e.getMessage(), e);
            }
            // A real header is ~100 bytes per tensor: anything far beyond the model's own size is refused while reading.
            long weightLimit = 8 + 65536 + 4096L * model.layers().size() + 8L * model.paramCount();
            String wsrc = src + "!" + WEIGHTS;
            Safetensors.Contents w = Safetensors.read(ZipEntries.readBounded(zip, found.get(WEIGHTS), weightLimit, src), wsrc);
            Map<String, INDArray> values = new LinkedHashMap<>();
            w.tensors().forEach((k, t) -> values.put(k, t.toINDArray()));
            try {
                model.setWeights(values);
            } catch (DlkitException e) {
                throw new ModelFileException(wsrc + ": " + e.getMessage().replace("setWeights: ", ""), e);
            }
            if (model.isCompiled() && found.containsKey(OPTIMIZER)) {
                String osrc = src + "!" + OPTIMIZER;
                Safetensors.Contents o = Safetensors.read(ZipEntries.readBounded(zip, found.get(OPTIMIZER), weightLimit * 3, src), osrc);
                Safetensors.Tensor st = o.tensors().get("state");
                if (st == null) {
                    throw new ModelFileException(osrc + ": missing tensor \"state\"");
                }
                long iterations;
                try {
                    iterations = Long.parseLong(o.metadata().getOrDefault("iterations", "0"));
                    if (iterations < 0) {
                        throw new IllegalArgumentException("iterations: expected a step count >= 0, got " + iterations);
                    }
                    if (o.metadata().containsKey("learning_rate")) {
                        model.setLearningRate(Double.parseDouble(o.metadata().get("learning_rate")));
                    }
                } catch (IllegalArgumentException e) {
                    throw new ModelFileException(osrc + ": bad metadata " + o.metadata() + ": " + e.getMessage());
                }
                try {
                    model.setOptimizerState(st.toFloats(), iterations);
                } catch (DlkitException e) {
                    throw new ModelFileException(osrc + ": " + e.getMessage(), e);
                }
            }
            return model;
        } catch (IllegalArgumentException e) {
            // java.util.zip's answer to an entry name or comment that is not valid UTF-8
            throw new ModelFileException(src + ": not a valid .dlk archive (zip): " + e.getMessage(), e);
        } catch (ZipException e) {
            throw new ModelFileException(src + ": not a valid .dlk archive (zip): " + e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(src + ": no such file", e);
        } catch (IOException e) {
            throw new ModelFileException(src + ": cannot read: " + e, e);
        }
    }

    /** An existing regular file (a device or FIFO is never an archive: ZipFile would read it without end). */
    private static void checkFile(Path path) {
        try {
            InputFiles.size(path, ".dlk model archive");
        } catch (ModelFileException e) {
            throw e;
        } catch (dlkit.DlkitException e) {
            throw new ModelFileException(e.getMessage(), e);
        }
    }

    /** The training state of a checkpoint, or null for a plain model archive. */
    public static @Nullable JsonNode readTraining(@NonNull Path path) {
        String src = path.toString();
        checkFile(path);
        try (ZipFile zip = new ZipFile(path.toFile())) {
            ZipEntry e = zip.getEntry(TRAINING);
            if (e == null) {
                return null;
            }
            try {
                return Json.MAPPER.readTree(ZipEntries.readBounded(zip, e, MAX_TRAINING, src));
            } catch (com.fasterxml.jackson.core.JsonProcessingException bad) {
                throw new ModelFileException(src + "!" + TRAINING + ": malformed JSON: " + bad.getOriginalMessage());
            }
        } catch (IllegalArgumentException e) {
            // java.util.zip's answer to an entry name or comment that is not valid UTF-8
            throw new ModelFileException(src + ": not a valid .dlk archive (zip): " + e.getMessage(), e);
        } catch (ZipException e) {
            throw new ModelFileException(src + ": not a valid .dlk archive (zip): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new ModelFileException(src + ": cannot read: " + e, e);
        }
    }
}
