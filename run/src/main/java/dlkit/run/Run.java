package dlkit.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.data.ArrayDataset;
import dlkit.data.Augmentation;
import dlkit.callbacks.CSVLogger;
import dlkit.callbacks.CallbackType;
import dlkit.callbacks.TerminateOnNaN;
import dlkit.data.Normalization;
import dlkit.io.AtomicFile;
import dlkit.model.ModelConfig;
import dlkit.model.Callback;
import dlkit.model.FitOptions;
import dlkit.model.History;
import dlkit.model.Model;
import dlkit.model.Pretraining;
import dlkit.model.TrainingState;
import dlkit.optim.Adam;
import dlkit.optim.Optimizer;
import dlkit.optim.Optimizers;
import dlkit.loss.Loss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A run config made real: the compiled model and its data, normalised with statistics from the training split and
 * viewed in the model's input shape. {@link #prepare} checks everything a run would, without training.
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
        String file = config.file().toString();
        Model model;
        try {
            model = ModelConfig.fromNode(config.model(), "model");
            ModelConfig.applyCompile(model, config.compile(), "compile");
        } catch (ConfigException e) {
            throw new ConfigException(null, file + ": " + e.getMessage(), e);
        }
        Path base = config.file().toAbsolutePath().getParent();
        try {
            ArrayDataset train = DataSources.load(config.data().train(), "data.train", base);
            ArrayDataset val = config.data().validation() == null ? null : DataSources.load(config.data().validation(), "data.validation", base);
            ArrayDataset test = config.data().test() == null ? null : DataSources.load(config.data().test(), "data.test", base);
            Normalization norm = Normalization.fit(train, config.data().normalize());
            train = fit(model, train, norm, "data.train");
            val = val == null ? null : fit(model, val, norm, "data.validation");
            test = test == null ? null : fit(model, test, norm, "data.test");
            if (config.data().autoencoding()) {
                train = train.autoencoding();
                val = val == null ? null : val.autoencoding();
                test = test == null ? null : test.autoencoding();
            }
            ArrayDataset pretrainData = null;
            Pretraining.Options pretrainOptions = null;
            RunConfig.PretrainConfig pc = config.pretrain();
            if (pc != null) {
                pretrainData = pc.data() == null ? train : fit(model, DataSources.load(pc.data(), "pretrain.data", base), norm, "pretrain.data");
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
            Run run = new Run(config, model, train, val, test);
            run.pretrainData = pretrainData;
            run.pretrainOptions = pretrainOptions;
            run.callbacks(base);
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

    /** Normalised, then viewed in the model's input shape (same element count required). */
    public static @NonNull ArrayDataset fit(@NonNull Model model, @NonNull ArrayDataset d, @NonNull Normalization norm, @NonNull String path) {
        if (d.featureShape().size() != model.inputShape().size()) {
            throw new ConfigException(path, "samples have " + d.featureShape().size() + " values (shape " + d.featureShape()
                    + ") but the model's Input takes " + model.inputShape().size() + " (shape " + model.inputShape() + ")");
        }
        ArrayDataset out = norm.apply(d);
        return out.featureShape().equals(model.inputShape()) ? out : out.reshape(model.inputShape());
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

    public @NonNull FitOptions fitOptions(@NonNull Overrides o) {
        RunConfig.FitConfig f = config.fit();
        long seed = o.seed() != null ? o.seed() : f.seed() != null ? f.seed() : System.nanoTime();
        FitOptions opts = FitOptions.epochs(o.epochs() != null ? o.epochs() : f.epochs())
                .batchSize(o.batchSize() != null ? o.batchSize() : f.batchSize())
                .shuffle(f.shuffle())
                .seed(seed)
                .augmentation(config.data().augment());
        if (validation != null) {
            opts = opts.validationData(validation);
        } else if (f.validationSplit() > 0) {
            opts = opts.validationSplit(f.validationSplit());
        }
        return opts;
    }

    /** The callbacks {@code fit.callbacks} declares, writing their files under {@code out}. */
    public @NonNull List<Callback> callbacks(@NonNull Path out) {
        List<Callback> list = new ArrayList<>();
        List<JsonNode> configs = config.fit().callbacks();
        try {
            for (int i = 0; i < configs.size(); i++) {
                list.add(CallbackType.fromConfig(configs.get(i), "fit.callbacks[" + i + "]", out));
            }
        } catch (ConfigException e) {
            throw new ConfigException(null, config.file() + ": " + e.getMessage(), e);
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

    static void writeMetrics(Path file, Result r) {
        ObjectNode root = Json.MAPPER.valueToTree(r.metrics());
        root.put("epochs", r.epochs());
        root.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
        if (r.diverged()) {
            root.put("diverged", true);
        }
        AtomicFile.writeString(file, root.toPrettyString() + "\n");
    }
}
