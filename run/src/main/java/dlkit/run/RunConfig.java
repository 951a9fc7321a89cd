package dlkit.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.data.Augmentation;
import dlkit.files.InputFiles;
import dlkit.files.OutputPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A training run in one JSON file: {@code model} (the model config schema), {@code compile}, {@code data} and
 * {@code fit}, optionally {@code pretrain} and {@code distributed}. Every key is checked when the file is read; errors carry the file and JSON path.
 */
public record RunConfig(@NonNull Path file, @NonNull String name, @NonNull JsonNode model, @NonNull JsonNode compile,
                        @NonNull DataConfig data, @NonNull FitConfig fit, @Nullable PretrainConfig pretrain, @Nullable DistributedConfig distributed,
                        @NonNull String fingerprint) {
    // "tune" is dl tune's search (module dlkit-tune); dl train trains the config as written.
    static final Set<String> KEYS = Set.of("name", "description", "model", "compile", "data", "fit", "pretrain", "distributed", "tune");

    /**
     * {@code distributed}: where and how to train on a cluster ({@code dl train --spark} and {@code --workers}
     * override {@code master} and {@code workers}). {@code sync}: {@code allreduce} (gradients averaged every step),
     * {@code average} (weights averaged every {@code every} steps) or {@code easgd} (elastic averaging every
     * {@code every} steps with moving rate {@code beta}); {@code checkpoint_dir} (a directory every worker can read,
     * relative to the run directory; default: the run directory's {@code checkpoint/} on a local or 127.0.0.1 master,
     * none elsewhere) written by worker 0 every epoch and every {@code checkpoint_every_steps} steps (0: epochs only).
     */
    public record DistributedConfig(@Nullable String master, @Nullable Integer workers, @NonNull String sync, int every, double beta,
                                    @Nullable String checkpointDir, int checkpointEverySteps, int timeoutSeconds) {
        static final Set<String> KEYS = Set.of("master", "workers", "sync", "every", "beta", "checkpoint_dir", "checkpoint_every_steps",
                "timeout_seconds");
        public static final List<String> SYNC = List.of("allreduce", "average", "easgd");

        /** All defaults: gradients all-reduced, checkpoints every 100 steps, peers waited for 2 minutes. */
        public static final DistributedConfig DEFAULT = new DistributedConfig(null, null, "allreduce", 1, 0.9, null, 100, 120);

        /** With the command line's master and workers where given. */
        public @NonNull DistributedConfig with(@Nullable String master, @Nullable Integer workers) {
            return new DistributedConfig(master != null ? master : this.master, workers != null ? workers : this.workers, sync, every, beta,
                    checkpointDir, checkpointEverySteps, timeoutSeconds);
        }
    }

    /**
     * {@code pretrain}: greedy layer-wise pretraining before {@code fit} (see {@link dlkit.model.Pretraining}); the
     * optimizer and loss stay JSON until the run builds them, so errors carry their paths.
     */
    public record PretrainConfig(int epochs, int batchSize, @Nullable JsonNode optimizer, @Nullable JsonNode loss, double noise,
                                 @Nullable JsonNode data, @NonNull List<String> layers) {
        static final Set<String> KEYS = Set.of("epochs", "batch_size", "optimizer", "loss", "noise", "data", "layers");
    }

    /** {@code fit}: Keras' defaults. */
    public record FitConfig(int epochs, int batchSize, @Nullable Long seed, boolean shuffle, double validationSplit,
                            @NonNull List<JsonNode> callbacks) {
        static final Set<String> KEYS = Set.of("epochs", "batch_size", "seed", "shuffle", "validation_split", "callbacks");
    }

    /** {@code data}: the sources and how to normalise features (statistics from the training split only). */
    public record DataConfig(@NonNull JsonNode train, @Nullable JsonNode validation, @Nullable JsonNode test, @NonNull String normalize,
                             @NonNull Augmentation augment, @NonNull String target) {
        /** True when each sample is its own target (an autoencoder): {@code "target": "input"}. */
        public boolean autoencoding() {
            return target.equals("input");
        }

        static final Set<String> KEYS = Set.of("train", "validation", "test", "normalize", "augment", "target");
        public static final List<String> TARGETS = List.of("labels", "input");
        static final Set<String> AUGMENT_KEYS = Set.of("horizontal_flip", "vertical_flip", "shift", "rotation", "random_erasing");
        public static final List<String> NORMALIZE = List.of("none", "scale", "standardize");
    }

    public static @NonNull RunConfig read(@NonNull Path file) {
        String text;
        try {
            text = InputFiles.readString(file, InputFiles.MAX_CONFIG_BYTES, "JSON run config");
        } catch (dlkit.DlkitException e) {
            throw new ConfigException(null, e.getMessage());
        }
        return fromJson(text, file);
    }

    /** A run config from its text; {@code file} names it in errors and anchors its relative data paths. */
    public static @NonNull RunConfig fromJson(@NonNull String text, @NonNull Path file) {
        return fromJson(text, file, true);
    }

    /**
     * As {@link #fromJson(String, Path)}; with {@code dataRequired} false the {@code data} section (or its
     * {@code train} source) may be absent, for training on data given otherwise (a Spark {@code Dataset}): then
     * {@code data().train()} is a missing node and {@link Run#prepare(RunConfig, dlkit.data.ArrayDataset)} takes the
     * training data.
     */
    public static @NonNull RunConfig fromJson(@NonNull String text, @NonNull Path file, boolean dataRequired) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(text);
        } catch (IOException e) {
            var loc = e instanceof com.fasterxml.jackson.core.JsonProcessingException p ? p.getLocation() : null;
            String msg = e instanceof com.fasterxml.jackson.core.JsonProcessingException p ? p.getOriginalMessage() : e.getMessage();
            throw new ConfigException(null, file + ": malformed JSON" + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "") + ": " + msg);
        }
        try {
            return parse(file, root, dataRequired);
        } catch (ConfigException e) {
            throw new ConfigException(null, file + ": " + e.getMessage(), e);
        }
    }

    static RunConfig parse(Path file, JsonNode root, boolean dataRequired) {
        if (root == null || !root.isObject()) {
            throw new ConfigException(null, "expected a JSON object with \"model\", \"compile\", \"data\" and \"fit\"");
        }
        Json.checkKeys(root, KEYS, "");
        for (String required : List.of("model", "compile", "data")) {
            if (!root.has(required) && (dataRequired || !required.equals("data"))) {
                throw new ConfigException(null, "missing required section \"" + required + "\"");
            }
        }
        String base = file.getFileName().toString().replaceFirst("\\.json$", "");
        String name = root.has("name") ? OutputPaths.name(text(root.get("name"), "name"), "name") : base;
        JsonNode d = root.has("data") ? root.get("data") : Json.MAPPER.createObjectNode();
        if (!d.isObject()) {
            throw new ConfigException("data", "expected an object with \"train\" (and optionally \"validation\", \"test\", \"normalize\")");
        }
        Json.checkKeys(d, DataConfig.KEYS, "data");
        if (!d.has("train") && dataRequired) {
            throw new ConfigException("data", "missing required key \"train\"");
        }
        String normalize = d.has("normalize") ? text(d.get("normalize"), "data.normalize") : "none";
        if (!DataConfig.NORMALIZE.contains(normalize)) {
            throw new ConfigException("data.normalize", "expected one of " + DataConfig.NORMALIZE + ", got \"" + normalize + "\"");
        }
        String target = d.has("target") ? text(d.get("target"), "data.target") : "labels";
        if (!DataConfig.TARGETS.contains(target)) {
            throw new ConfigException("data.target", "expected \"labels\" (the data's labels) or \"input\" (each sample is its own target,"
                    + " as for an autoencoder), got \"" + target + "\"");
        }
        DataConfig data = new DataConfig(d.path("train"), d.get("validation"), d.get("test"), normalize,
                d.has("augment") ? augmentation(d.get("augment")) : Augmentation.NONE, target);
        JsonNode f = root.has("fit") ? root.get("fit") : Json.MAPPER.createObjectNode();
        if (!f.isObject()) {
            throw new ConfigException("fit", "expected an object");
        }
        Json.checkKeys(f, FitConfig.KEYS, "fit");
        List<JsonNode> callbacks = new java.util.ArrayList<>();
        if (f.has("callbacks")) {
            if (!f.get("callbacks").isArray()) {
                throw new ConfigException("fit.callbacks", "expected a list of callback objects, got " + f.get("callbacks"));
            }
            f.get("callbacks").forEach(callbacks::add);
        }
        FitConfig fit = new FitConfig(
                positiveInt(f, "epochs", 1),
                positiveInt(f, "batch_size", 32),
                f.has("seed") && !f.get("seed").isNull() ? Json.integer(f.get("seed"), "fit.seed") : null,
                !f.has("shuffle") || bool(f.get("shuffle"), "fit.shuffle"),
                f.has("validation_split") ? fraction(f.get("validation_split"), "fit.validation_split") : 0,
                List.copyOf(callbacks));
        JsonNode model = root.get("model");
        if (!model.isObject()) {
            throw new ConfigException("model", "expected a model object with \"layers\"");
        }
        if (model.has("compile")) {
            throw new ConfigException("model.compile", "put the compile settings in the top-level \"compile\" section");
        }
        PretrainConfig pretrain = null;
        if (root.has("pretrain")) {
            JsonNode p = root.get("pretrain");
            if (!p.isObject()) {
                throw new ConfigException("pretrain", "expected an object such as {\"epochs\": 5}");
            }
            Json.checkKeys(p, PretrainConfig.KEYS, "pretrain");
            List<String> layers = new java.util.ArrayList<>();
            if (p.has("layers")) {
                if (!p.get("layers").isArray()) {
                    throw new ConfigException("pretrain.layers", "expected a list of Dense layer names, got " + p.get("layers"));
                }
                for (int i = 0; i < p.get("layers").size(); i++) {
                    layers.add(text(p.get("layers").get(i), "pretrain.layers[" + i + "]"));
                }
            }
            double noise = 0;
            if (p.has("noise")) {
                if (!p.get("noise").isNumber() || p.get("noise").asDouble() < 0) {
                    throw new ConfigException("pretrain.noise", "expected a standard deviation >= 0, got " + p.get("noise"));
                }
                noise = p.get("noise").asDouble();
            }
            pretrain = new PretrainConfig(positiveInt(p, "epochs", 5, "pretrain"), positiveInt(p, "batch_size", 256, "pretrain"),
                    p.get("optimizer"), p.get("loss"), noise, p.get("data"), List.copyOf(layers));
        }
        DistributedConfig distributed = root.has("distributed") ? distributed(root.get("distributed")) : null;
        return new RunConfig(file, name, model, root.get("compile"), data, fit, pretrain, distributed, fingerprint(root));
    }

    /** Like every path a config writes, inside the run directory (checked now, resolved when the run's directory is known). */
    private static String checkpointDir(String given) {
        dlkit.files.OutputPaths.inside(Path.of("run"), given, "distributed.checkpoint_dir");
        return given;
    }

    private static DistributedConfig distributed(JsonNode d) {
        if (!d.isObject()) {
            throw new ConfigException("distributed", "expected an object such as {\"master\": \"local[2]\"}");
        }
        Json.checkKeys(d, DistributedConfig.KEYS, "distributed");
        DistributedConfig def = DistributedConfig.DEFAULT;
        String sync = d.has("sync") ? text(d.get("sync"), "distributed.sync") : def.sync();
        if (!DistributedConfig.SYNC.contains(sync)) {
            throw new ConfigException("distributed.sync", "expected one of " + DistributedConfig.SYNC + ", got \"" + sync + "\"");
        }
        if (sync.equals("allreduce") && d.has("every")) {
            throw new ConfigException("distributed.every", "\"allreduce\" averages the gradients every step; \"every\" is a setting of"
                    + " \"average\" and \"easgd\"");
        }
        if (!sync.equals("easgd") && d.has("beta")) {
            throw new ConfigException("distributed.beta", "\"beta\" is EASGD's moving rate, a setting of \"sync\": \"easgd\"");
        }
        double beta = def.beta();
        if (d.has("beta")) {
            if (!d.get("beta").isNumber() || !(d.get("beta").asDouble() > 0 && d.get("beta").asDouble() < 1)) {
                throw new ConfigException("distributed.beta", "expected a number in (0, 1) (the paper's 0.9), got " + d.get("beta"));
            }
            beta = d.get("beta").asDouble();
        }
        int everySteps = d.has("checkpoint_every_steps")
                ? Json.integer(d.get("checkpoint_every_steps"), "distributed.checkpoint_every_steps", 0, Integer.MAX_VALUE, "0 or a positive integer")
                : def.checkpointEverySteps();
        return new DistributedConfig(
                d.has("master") ? text(d.get("master"), "distributed.master") : null,
                d.has("workers") ? positiveInt(d, "workers", 1, "distributed") : null,
                sync,
                positiveInt(d, "every", sync.equals("allreduce") ? 1 : 8, "distributed"),
                beta,
                d.has("checkpoint_dir") ? checkpointDir(text(d.get("checkpoint_dir"), "distributed.checkpoint_dir")) : null,
                everySteps,
                positiveInt(d, "timeout_seconds", def.timeoutSeconds(), "distributed"));
    }

    /**
     * SHA-256 of what makes the run this run — the config without its name, description and {@code fit.epochs}
     * (more epochs continue the same run) — as canonical JSON, so key order and spacing do not count.
     */
    static String fingerprint(JsonNode root) {
        ObjectNode r = root.deepCopy();
        r.remove(List.of("name", "description"));
        if (r.get("fit") instanceof ObjectNode f) {
            f.remove("epochs");
        }
        // where a distributed run runs and how it checkpoints do not change what it trains
        if (r.get("distributed") instanceof ObjectNode d) {
            d.remove(List.of("master", "checkpoint_dir", "checkpoint_every_steps", "timeout_seconds"));
        }
        return sha256(Json.canonical(r));
    }

    static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The model section with the compile section folded in, as a model config. */
    public @NonNull ObjectNode modelWithCompile() {
        ObjectNode m = model.deepCopy();
        m.set("compile", compile);
        return m;
    }

    static Augmentation augmentation(JsonNode a) {
        if (!a.isObject()) {
            throw new ConfigException("data.augment", "expected an object such as {\"horizontal_flip\": true, \"shift\": 0.1}, got " + a);
        }
        Json.checkKeys(a, DataConfig.AUGMENT_KEYS, "data.augment");
        Augmentation aug = Augmentation.NONE;
        try {
            if (a.has("horizontal_flip")) {
                aug = aug.withHorizontalFlip(bool(a.get("horizontal_flip"), "data.augment.horizontal_flip"));
            }
            if (a.has("vertical_flip")) {
                aug = aug.withVerticalFlip(bool(a.get("vertical_flip"), "data.augment.vertical_flip"));
            }
            aug = aug.withShift(number(a, "shift")).withRotation(number(a, "rotation")).withRandomErasing(number(a, "random_erasing"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("data.augment", e.getMessage());
        }
        return aug;
    }

    private static double number(JsonNode a, String key) {
        if (!a.has(key)) {
            return 0;
        }
        if (!a.get(key).isNumber()) {
            throw new ConfigException("data.augment." + key, "expected a number, got " + a.get(key));
        }
        return a.get(key).asDouble();
    }

    static String text(JsonNode n, String path) {
        if (!n.isTextual()) {
            throw new ConfigException(path, "expected a string, got " + n);
        }
        return n.asText();
    }

    static int positiveInt(JsonNode parent, String key, int def) {
        return positiveInt(parent, key, def, "fit");
    }

    static int positiveInt(JsonNode parent, String key, int def, String section) {
        if (!parent.has(key)) {
            return def;
        }
        return Json.integer(parent.get(key), section + "." + key, 1, Integer.MAX_VALUE, "a positive integer");
    }

    static boolean bool(JsonNode n, String path) {
        if (!n.isBoolean()) {
            throw new ConfigException(path, "expected true or false, got " + n);
        }
        return n.asBoolean();
    }

    static double fraction(JsonNode n, String path) {
        if (!n.isNumber() || !(n.asDouble() >= 0 && n.asDouble() < 1)) {
            throw new ConfigException(path, "expected a number in [0, 1), got " + n);
        }
        return n.asDouble();
    }
}
