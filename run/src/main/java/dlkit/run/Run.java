package dlkit.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.callbacks.CSVLogger;
import dlkit.callbacks.CallbackType;
import dlkit.callbacks.TerminateOnNaN;
import dlkit.config.Json;
import dlkit.data.ArrayDataset;
import dlkit.data.Augmentation;
import dlkit.files.AtomicFile;
import dlkit.layers.preprocessing.Preprocessing;
import dlkit.loss.Loss;
import dlkit.model.Callback;
import dlkit.model.FitOptions;
import dlkit.model.History;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.model.Pretraining;
import dlkit.model.TrainingState;
import dlkit.optim.Adam;
import dlkit.optim.Optimizer;
import dlkit.optim.Optimizers;
import dlkit.tensor.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A run config made real: the compiled model — with {@code data.normalize} as its first layer, statistics from the
 * training split — and its raw data viewed in the model's input shape. {@link #prepare} checks everything a run would, without training.
 */
public final class Run {
    private final RunConfig config;
    private final Model model;
    private final ArrayDataset train;
    private final @Nullable ArrayDataset validation;
    private final @Nullable ArrayDataset test;

    private Run(RunConfig config, Model model, ArrayDataset train, @Nullable ArrayDataset validation, @Nullable ArrayDataset test) {
        this.config = config;
        this.model = model;
        this.train = train;
        this.validation = validation;
        this.test = test;
    }

    /** Overrides from the command line; null keeps the config's value. */
    public record Overrides(@Nullable Integer epochs, @Nullable Integer batchSize, @Nullable Long seed) {
        public static final Overrides NONE = new Overrides(null, null, null);
    }

    public static @NonNull Run prepare(@NonNull RunConfig config) {
        return prepare(config, null);
    }

    /**
     * {@link #prepare(RunConfig)} training on {@code given} (null: the config's {@code data.train}) — data that
     * arrives otherwise, such as one Spark worker's partition of a {@code Dataset}; validation and test data still
     * come from the config, if it names them.
     */
    public static @NonNull Run prepare(@NonNull RunConfig config, @Nullable ArrayDataset given) {
        String file = config.file().toString();
        Path base = config.file().toAbsolutePath().getParent();
        try {
            if (given == null && config.data().train().isMissingNode()) {
                throw new ConfigException("data", "missing required key \"train\"");
            }
            // Raw data: the model itself normalises it (data.normalize becomes its first layer), so the saved model,
            // dl predict and dl evaluate take raw samples as well.
            ArrayDataset train = given != null ? given : DataSources.load(config.data().train(), "data.train", base);
            ArrayDataset val = config.data().validation() == null ? null : DataSources.load(config.data().validation(), "data.validation", base);
            ArrayDataset test = config.data().test() == null ? null : DataSources.load(config.data().test(), "data.test", base);
            Model model;
            Preprocessing<?, ?, ?> pre;
            try {
                JsonNode modelNode = config.model();
                Shape in = Preprocessors.inputShape(modelNode, "model");
                pre = Preprocessors.forMode(config.data().normalize(), train, in);
                if (pre != null) {
                    modelNode = Preprocessors.prepend(modelNode, pre, "model");
                }
                try {
                    model = ModelConfig.fromNode(modelNode, "model");
                } catch (ConfigException e) {
                    throw pre == null ? e : Preprocessors.asWritten(e, config.model());
                }
                ModelConfig.applyCompile(model, config.compile(), "compile");
            } catch (ConfigException e) {
                throw new ConfigException(null, file + ": " + e.getMessage(), e);
            }
            train = fit(model, train, "data.train");
            val = val == null ? null : fit(model, val, "data.validation");
            test = test == null ? null : fit(model, test, "data.test");
            if (config.data().autoencoding()) {
                // The target is the input as the model sees it after its preprocessing layer.
                train = Preprocessors.autoencoding(train, pre);
                val = val == null ? null : Preprocessors.autoencoding(val, pre);
                test = test == null ? null : Preprocessors.autoencoding(test, pre);
            }
            ArrayDataset pretrainData = null;
            Pretraining.Options pretrainOptions = null;
            RunConfig.PretrainConfig pc = config.pretrain();
            if (pc != null) {
                pretrainData = pc.data() == null ? train : fit(model, DataSources.load(pc.data(), "pretrain.data", base), "pretrain.data");
                Optimizer opt = pc.optimizer() == null ? Adam.of(0.001) : Optimizers.fromJson(pc.optimizer(), "pretrain.optimizer");
                Loss loss = pc.loss() == null ? Loss.MEAN_SQUARED_ERROR : Json.read(pc.loss(), Loss.class, "pretrain.loss");
                pretrainOptions = new Pretraining.Options(pc.epochs(), pc.batchSize(), opt, loss, pc.noise(), 1, pc.layers());
                if (model.isFunctional()) {
                    throw new ConfigException("pretrain", "layer-wise pretraining works on Sequential models; this model is Functional");
                }
                for (String l : pc.layers()) {
                    try {
                        model.getLayer(l);
                    } catch (DlkitException e) {
                        throw new ConfigException("pretrain.layers", e.getMessage());
                    }
                }
            }
            if (!config.data().augment().isNone()) {
                try {
                    Augmentation.imageDims(model.inputShape());
                } catch (IllegalArgumentException e) {
                    throw new ConfigException("data.augment", e.getMessage());
                }
            }
            int batch = (int) Math.max(1, Math.min(config.fit().batchSize(), train.count()));
            try {
                model.checkMemory(batch, true);
            } catch (dlkit.ResourceException e) {
                throw new ConfigException("fit.batch_size", e.getMessage(), e);
            }
            Run run = new Run(config, model, train, val, test);
            run.preprocessing = pre;
            run.pretrainData = pretrainData;
            run.pretrainOptions = pretrainOptions;
            run.callbackList(base);
            run.checkLabels(train, "data.train");
            if (val != null) {
                run.checkLabels(val, "data.validation");
            }
            if (test != null) {
                run.checkLabels(test, "data.test");
            }
            return run;
        } catch (ConfigException e) {
            throw new ConfigException(null, file + ": " + e.getMessage(), e);
        }
    }

    /** Viewed in the model's input shape (same element count required). */
    public static @NonNull ArrayDataset fit(@NonNull Model model, @NonNull ArrayDataset d, @NonNull String path) {
        if (d.featureShape().size() != model.inputShape().size()) {
            throw new ConfigException(path, "samples have " + d.featureShape().size() + " values (shape " + d.featureShape()
                    + ") but the model's Input takes " + model.inputShape().size() + " (shape " + model.inputShape() + ")");
        }
        return d.featureShape().equals(model.inputShape()) ? d : d.reshape(model.inputShape());
    }

    private @Nullable Preprocessing<?, ?, ?> preprocessing;

    /** The layer {@code data.normalize} put at the model's input (statistics of the training split), or null for "none". */
    public @Nullable Preprocessing<?, ?, ?> preprocessing() {
        return preprocessing;
    }

    /** The model's own data checks, reported as a config error at the data source's JSON path. */
    void checkLabels(ArrayDataset d, String path) {
        try {
            model.checkData(d, path);
        } catch (DlkitException e) {
            throw new ConfigException(null, e.getMessage(), e);
        }
    }

    private @Nullable ArrayDataset pretrainData;
    private Pretraining.@Nullable Options pretrainOptions;

    /** True when the config has a {@code pretrain} section. */
    public boolean hasPretraining() {
        return pretrainOptions != null;
    }

    /**
     * Greedy layer-wise pretraining as the config's {@code pretrain} section declares (on its {@code data}, or the
     * training samples without their labels), seeded by the run's seed; {@link #train} then fine-tunes.
     */
    public @NonNull List<Pretraining.LayerResult> pretrain(@NonNull Overrides o, Pretraining.@NonNull Listener listener) {
        if (pretrainOptions == null) {
            throw new DlkitException(config.file() + " has no \"pretrain\" section");
        }
        long seed = o.seed() != null ? o.seed() : config.fit().seed() != null ? config.fit().seed() : System.nanoTime();
        if (!model.isInitialized()) {
            model.initialize(seed);
        }
        return Pretraining.greedyLayerwise(model, pretrainData, pretrainOptions.withSeed(seed), listener);
    }

    public @NonNull Model model() {
        return model;
    }

    public @NonNull RunConfig config() {
        return config;
    }

    public @NonNull ArrayDataset train() {
        return train;
    }

    public @Nullable ArrayDataset test() {
        return test;
    }

    /**
     * Identifies this run in its checkpoints: the config's {@link RunConfig#fingerprint} with the command line's
     * batch size and seed (a seed only when one is set: an unseeded run resumes with the seed its checkpoint holds).
     */
    public @NonNull String fingerprint(@NonNull Overrides o) {
        RunConfig.FitConfig f = config.fit();
        Long seed = o.seed() != null ? o.seed() : f.seed();
        return RunConfig.sha256(config.fingerprint() + "|batch_size=" + (o.batchSize() != null ? o.batchSize() : f.batchSize())
                + "|seed=" + (seed == null ? "none" : seed));
    }

    public @NonNull FitOptions fitOptions(@NonNull Overrides o) {
        RunConfig.FitConfig f = config.fit();
        long seed = o.seed() != null ? o.seed() : f.seed() != null ? f.seed() : System.nanoTime();
        FitOptions opts = FitOptions.epochs(o.epochs() != null ? o.epochs() : f.epochs())
                .batchSize(o.batchSize() != null ? o.batchSize() : f.batchSize())
                .shuffle(f.shuffle())
                .seed(seed)
                .augmentation(config.data().augment())
                .fingerprint(fingerprint(o));
        if (validation != null) {
            opts = opts.validationData(validation);
        } else if (f.validationSplit() > 0) {
            opts = opts.validationSplit(f.validationSplit());
        }
        return opts;
    }

    /** The callbacks {@code fit.callbacks} declares, writing their files under {@code out}. */
    public @NonNull List<Callback> callbacks(@NonNull Path out) {
        try {
            return callbackList(out);
        } catch (ConfigException e) {
            throw new ConfigException(null, config.file() + ": " + e.getMessage(), e);
        }
    }

    private List<Callback> callbackList(Path out) {
        List<Callback> list = new ArrayList<>();
        List<JsonNode> configs = config.fit().callbacks();
        for (int i = 0; i < configs.size(); i++) {
            list.add(CallbackType.fromConfig(configs.get(i), "fit.callbacks[" + i + "]", out));
        }
        return list;
    }

    /**
     * The outcome of {@link #train}: history and final metrics per split. {@code divergedAt} names the epoch and batch
     * (1-based) where the loss stopped being finite; {@code interrupted} means the run stopped early on request and
     * wrote no results.
     */
    public record Result(@NonNull History history, @NonNull Map<String, Map<String, Double>> metrics, int epochs, double seconds,
                         boolean diverged, @Nullable String divergedAt, boolean interrupted) {}

    /**
     * Trains, then writes {@code out/model.dlk}, {@code out/history.csv} and {@code out/metrics.json} (each through
     * a temp file). Stops at the first NaN or infinite loss and reports it as diverged.
     */
    public @NonNull Result train(@NonNull Path out, @NonNull Overrides overrides, @NonNull List<Callback> callbacks) {
        TerminateOnNaN nanGuard = new TerminateOnNaN();
        List<Callback> all = new ArrayList<>();
        all.add(nanGuard);
        all.addAll(callbacks);
        // Last, so it logs what the others add to the epoch's logs (a scheduler's learning_rate).
        all.add(new CSVLogger(out.resolve("history.csv"), ",", false, "%.6g"));
        boolean[] interrupted = {false};
        all.add(new Callback() {
            @Override
            public void onTrainEnd(TrainingState state) {
                interrupted[0] = state.isInterrupted();
            }
        });
        long t0 = System.nanoTime();
        History h = model.fit(train, fitOptions(overrides).callbacks(all.toArray(new Callback[0])));
        double seconds = (System.nanoTime() - t0) / 1e9;
        boolean diverged = nanGuard.terminatedAt() != null;
        if (interrupted[0] && !diverged) {
            return new Result(h, Map.of(), h.epochs().size(), seconds, false, null, true);
        }
        Map<String, Map<String, Double>> metrics = new LinkedHashMap<>();
        Map<String, Double> trainM = new LinkedHashMap<>();
        Map<String, Double> valM = new LinkedHashMap<>();
        for (String k : h.keys()) {
            if (k.equals("learning_rate")) {
                // Logged by schedulers for the history and plots; a setting, not a result of the data.
                continue;
            }
            if (k.startsWith("val_")) {
                valM.put(k.substring(4), h.last(k));
            } else {
                trainM.put(k, h.last(k));
            }
        }
        metrics.put("train", trainM);
        if (!valM.isEmpty()) {
            metrics.put("validation", valM);
        }
        if (test != null && !diverged) {
            metrics.put("test", model.evaluate(test));
        }
        Result r = new Result(h, metrics, h.epochs().size(), seconds, diverged, nanGuard.terminatedAt(), false);
        if (!diverged) {
            model.save(out.resolve("model.dlk"));
        }
        writeMetrics(out.resolve("metrics.json"), r);
        return r;
    }

    /**
     * The run directory of a model trained elsewhere (on a cluster) from this run's config, as {@link #train} writes
     * it: {@code model.dlk}, {@code history.csv} (one row per epoch, as CSVLogger writes it), {@code metrics.json}
     * with the last epoch's train and validation logs and the test split evaluated here, and {@code extra} (how it
     * was trained) under its own keys.
     */
    public @NonNull Result record(@NonNull Model trained, @NonNull Map<String, List<Double>> history, double seconds, @NonNull Path out,
                                  @NonNull Map<String, ?> extra) {
        int epochs = history.values().stream().mapToInt(List::size).max().orElse(0);
        StringBuilder csv = new StringBuilder("epoch");
        history.keySet().forEach(k -> csv.append(',').append(k));
        csv.append('\n');
        for (int e = 0; e < epochs; e++) {
            csv.append(e + 1);
            for (List<Double> v : history.values()) {
                csv.append(',').append(e < v.size() ? String.format(java.util.Locale.ROOT, "%.6g", v.get(e)) : "");
            }
            csv.append('\n');
        }
        AtomicFile.writeString(out.resolve("history.csv"), csv.toString());
        Map<String, Map<String, Double>> metrics = new LinkedHashMap<>();
        Map<String, Double> trainM = new LinkedHashMap<>();
        Map<String, Double> valM = new LinkedHashMap<>();
        history.forEach((k, v) -> {
            if (!k.equals("learning_rate") && !v.isEmpty()) {
                (k.startsWith("val_") ? valM : trainM).put(k.startsWith("val_") ? k.substring(4) : k, v.get(v.size() - 1));
            }
        });
        metrics.put("train", trainM);
        if (!valM.isEmpty()) {
            metrics.put("validation", valM);
        }
        if (test != null) {
            metrics.put("test", trained.evaluate(test));
        }
        History h = new History();
        for (int e = 0; e < epochs; e++) {
            Map<String, Double> logs = new LinkedHashMap<>();
            int epoch = e;
            history.forEach((k, v) -> {
                if (epoch < v.size()) {
                    logs.put(k, v.get(epoch));
                }
            });
            h.onEpochEnd(e, logs, null);
        }
        Result r = new Result(h, metrics, epochs, seconds, false, null, false);
        trained.save(out.resolve("model.dlk"));
        writeMetrics(out.resolve("metrics.json"), r, extra);
        return r;
    }

    static void writeMetrics(Path file, Result r) {
        writeMetrics(file, r, Map.of());
    }

    private static void writeMetrics(Path file, Result r, Map<String, ?> extra) {
        ObjectNode root = Json.MAPPER.valueToTree(r.metrics());
        extra.forEach((k, v) -> root.set(k, Json.MAPPER.valueToTree(v)));
        root.put("epochs", r.epochs());
        root.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
        if (r.diverged()) {
            root.put("diverged", true);
        }
        AtomicFile.writeString(file, root.toPrettyString() + "\n");
    }
}
