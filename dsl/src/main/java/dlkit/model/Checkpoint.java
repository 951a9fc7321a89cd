package dlkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ModelFileException;
import dlkit.config.Json;
import dlkit.metrics.Metric;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Training checkpoints: a model archive plus {@code training.json}. Shuffling and dropout derive from the seed, the
 * epoch and the step count, so weights, optimizer state, those counters and the running totals are all a run needs
 * to continue bit-identically to one that was never stopped.
 */
public final class Checkpoint {
    static final String FORMAT = "dlkit-checkpoint";
    static final int VERSION = 1;

    private Checkpoint() {}

    /**
     * Position and status of a checkpoint file, without loading its weights; {@code fingerprint} is the
     * {@link FitOptions#fingerprint} of the fit that wrote it (null when it had none).
     */
    public record Info(int epoch, long batchesDone, boolean completed, int epochs, @Nullable String fingerprint) {}

    /**
     * Reads a checkpoint's position, every field checked (a file from elsewhere may hold anything): a plain model
     * archive, an epoch outside [0, epochs] or a negative count is an error naming the file and the field.
     */
    public static @NonNull Info info(@NonNull Path path) {
        return info(training(path), path);
    }

    private static Info info(JsonNode t, Path path) {
        String at = path + "!training.json";
        int epochs = field(t, "epochs", at, 1, Integer.MAX_VALUE, "a positive number of epochs");
        int epoch = field(t, "epoch", at, 0, epochs, "an epoch in [0, " + epochs + "] (the epochs field)");
        long batches = count(t, "batches_done", at);
        JsonNode completed = t.path("completed");
        if (!completed.isBoolean()) {
            throw new ModelFileException(at + ": completed: expected true or false, got " + completed);
        }
        JsonNode fp = t.get("fingerprint");
        if (fp != null && !fp.isTextual()) {
            throw new ModelFileException(at + ": fingerprint: expected a string, got " + fp);
        }
        return new Info(epoch, batches, completed.asBoolean(), epochs, fp == null ? null : fp.asText());
    }

    private static int field(JsonNode t, String key, String at, int min, int max, String expected) {
        try {
            return Json.integer(t.path(key), key, min, max, expected);
        } catch (dlkit.ConfigException e) {
            throw new ModelFileException(at + ": " + e.getMessage());
        }
    }

    private static long count(JsonNode t, String key, String at) {
        JsonNode n = t.path(key);
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
            throw new ModelFileException(at + ": " + key + ": expected a count >= 0, got " + n);
        }
        return n.asLong();
    }

    private static JsonNode training(Path path) {
        JsonNode t = ModelFormat.forPath(path).trainingState(path);
        if (t == null) {
            throw new ModelFileException(path + ": a model archive without training state; a checkpoint to resume from needs training.json");
        }
        if (!FORMAT.equals(t.path("format").asText()) || t.path("version").asInt() != VERSION) {
            throw new ModelFileException(path + "!training.json: expected format \"" + FORMAT + "\" version " + VERSION
                    + ", found \"" + t.path("format").asText() + "\" version " + t.path("version"));
        }
        return t;
    }

    static void write(Path path, TrainingState s) {
        ObjectNode t = Json.MAPPER.createObjectNode();
        t.put("format", FORMAT);
        t.put("version", VERSION);
        t.put("epoch", s.epoch);
        t.put("batches_done", s.batchesDone);
        t.put("epochs", s.epochs());
        t.put("completed", s.completed);
        t.put("seed", s.seed);
        if (s.fingerprint != null) {
            t.put("fingerprint", s.fingerprint);
        }
        t.put("loss_sum", s.lossSum);
        t.put("seen", s.seen);
        ArrayNode metrics = t.putArray("metrics");
        for (Metric.Accumulator a : s.accumulators) {
            ArrayNode row = metrics.addArray();
            for (double v : a.state()) {
                row.add(v);
            }
        }
        ObjectNode hist = t.putObject("history");
        ArrayNode ep = hist.putArray("epochs");
        s.history.epochs().forEach(ep::add);
        ObjectNode logs = hist.putObject("logs");
        s.history.asMap().forEach((k, v) -> {
            ArrayNode col = logs.putArray(k);
            v.forEach(col::add);
        });
        ObjectNode states = t.putObject("states");
        s.model().execution.states().forEach((k, v) -> {
            ArrayNode a = states.putArray(k);
            for (double d : v) {
                a.add(d);
            }
        });
        ArrayNode cbs = t.putArray("callbacks");
        Map<String, Integer> seenTypes = new HashMap<>();
        for (Callback c : s.callbacks) {
            String type = c.getClass().getName();
            int nth = seenTypes.merge(type, 1, Integer::sum) - 1;
            JsonNode state = c.checkpointState();
            if (state != null) {
                ObjectNode e = cbs.addObject();
                e.put("type", c.getClass().getSimpleName());
                e.put("nth", nth);
                e.set("state", state);
            }
        }
        ModelFormat.forPath(path).save(s.model(), path, t);
    }

    /** Loads weights, optimizer state and position from {@code path} into a running fit. */
    static void restore(Path path, TrainingState s) {
        JsonNode t = training(path);
        Info at = info(t, path);
        if (s.fingerprint != null && at.fingerprint() != null && !s.fingerprint.equals(at.fingerprint())) {
            throw new ModelFileException(path + ": holds a run of another config (fingerprint " + at.fingerprint().substring(0, Math.min(12, at.fingerprint().length()))
                    + ", this run's " + s.fingerprint.substring(0, Math.min(12, s.fingerprint.length())) + "); use --fresh or another --output");
        }
        if (s.stepsPerEpoch() >= 0 && at.batchesDone() > s.stepsPerEpoch()) {
            throw new ModelFileException(path + "!training.json: batches_done: " + at.batchesDone() + " is more than an epoch's "
                    + s.stepsPerEpoch() + " batches");
        }
        if (!t.path("seed").isIntegralNumber() || !t.path("seed").canConvertToLong()) {
            throw new ModelFileException(path + "!training.json: seed: expected a 64-bit integer, got " + t.path("seed"));
        }
        long seen = count(t, "seen", path + "!training.json");
        Model saved = ModelFormat.forPath(path).load(path);
        Model model = s.model();
        JsonNode mine = layersOf(model);
        JsonNode theirs = layersOf(saved);
        if (!mine.equals(theirs)) {
            throw new ModelFileException(path + ": the checkpoint holds a different model than this run trains; "
                    + "use another output directory or delete the checkpoint");
        }
        if (saved.optimizerState() == null || !saved.optimizer().type().equals(model.optimizer().type())) {
            throw new ModelFileException(path + ": the checkpoint's optimizer (" + (saved.optimizer() == null ? "none" : saved.optimizer().type())
                    + ") is not this run's " + model.optimizer().type());
        }
        model.setWeights(saved.getWeights());
        model.setOptimizerState(saved.optimizerState(), saved.iterations());
        model.setLearningRate(saved.learningRate());
        s.seed = t.path("seed").asLong();
        model.execution.setSeed(s.seed);
        s.epoch = at.epoch();
        s.batchesDone = at.batchesDone();
        s.completed = at.completed();
        s.lossSum = t.path("loss_sum").asDouble();
        s.seen = seen;
        JsonNode metrics = t.path("metrics");
        if (metrics.size() != s.accumulators.size()) {
            throw new ModelFileException(path + "!training.json: " + metrics.size() + " metric states but this run has "
                    + s.accumulators.size() + " metrics");
        }
        for (int i = 0; i < metrics.size(); i++) {
            double[] v = new double[metrics.get(i).size()];
            for (int j = 0; j < v.length; j++) {
                v[j] = metrics.get(i).get(j).asDouble();
            }
            s.accumulators.get(i).restore(v);
        }
        t.path("states").fields().forEachRemaining(e -> {
            double[] into = model.execution.persistentState(e.getKey(), e.getValue().size());
            for (int i = 0; i < e.getValue().size(); i++) {
                into[i] = e.getValue().get(i).asDouble();
            }
        });
        List<Integer> epochs = new ArrayList<>();
        t.path("history").path("epochs").forEach(n -> epochs.add(n.asInt()));
        Map<String, List<Double>> logs = new LinkedHashMap<>();
        t.path("history").path("logs").fields().forEachRemaining(e -> {
            List<Double> col = new ArrayList<>();
            e.getValue().forEach(n -> col.add(n.asDouble()));
            logs.put(e.getKey(), col);
        });
        s.history.restore(epochs, logs);
        Map<String, List<Callback>> byType = new HashMap<>();
        for (Callback c : s.callbacks) {
            byType.computeIfAbsent(c.getClass().getSimpleName(), k -> new ArrayList<>()).add(c);
        }
        for (JsonNode e : t.path("callbacks")) {
            String type = e.path("type").asText();
            int nth = e.path("nth").asInt();
            List<Callback> candidates = byType.getOrDefault(type, List.of());
            if (nth < candidates.size()) {
                candidates.get(nth).restoreCheckpointState(e.path("state"));
            }
        }
        s.resumed = true;
    }

    private static JsonNode layersOf(Model m) {
        try {
            return Json.MAPPER.readTree(m.toJson()).path("layers");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a model's own JSON does not parse", e);
        }
    }

    /** True when {@code path} exists and is a checkpoint of a finished run. */
    public static boolean isCompleted(@Nullable Path path) {
        return path != null && java.nio.file.Files.exists(path) && info(path).completed();
    }
}
