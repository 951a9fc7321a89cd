package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.files.AtomicFile;
import dlkit.files.OutputPaths;
import dlkit.io.Safetensors;
import dlkit.model.Callback;
import dlkit.model.TrainingState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves the model every epoch or every N optimizer steps, optionally only when the monitored value improves, to a
 * path template such as {@code ckpt-{epoch:03d}-{val_loss:.4f}.dlk} (Python format specs d, f, e, g; epoch and batch
 * 1-based). A whole-model save is a training checkpoint — a model archive that {@code dl evaluate} reads and a run can
 * resume from; {@code weightsOnly} writes the weights as safetensors. Every file is written to a temp file and renamed.
 */
public final class ModelCheckpoint implements Callback {
    private static final Logger LOG = LoggerFactory.getLogger(ModelCheckpoint.class);
    private static final Pattern FIELD = Pattern.compile("\\{(\\w+)(?::(0?)(\\d*)(?:\\.(\\d+))?([dfegs]?))?}");

    private final String template;
    private String monitorKey = "val_loss";
    private String mode = "auto";
    private Monitor monitor = new Monitor(monitorKey, mode, 0);
    private boolean saveBestOnly;
    private boolean weightsOnly;
    private int saveFreq;
    private @Nullable Double initialValueThreshold;

    private double best;
    private @Nullable Path lastSaved;

    /** {@code pathTemplate}: where to save; {@code {epoch}}, {@code {batch}} and logged names are filled in. */
    public ModelCheckpoint(@NonNull String pathTemplate) {
        Matcher m = FIELD.matcher(pathTemplate);
        String rest = m.replaceAll("");
        if (rest.contains("{") || rest.contains("}")) {
            throw new IllegalArgumentException("filepath: unbalanced or unsupported {field} in \"" + pathTemplate
                    + "\"; write fields as {epoch:03d} or {val_loss:.4f}");
        }
        this.template = pathTemplate;
    }

    public @NonNull ModelCheckpoint monitor(@NonNull String key) {
        monitor = new Monitor(key, mode, 0);
        monitorKey = key;
        return this;
    }

    public @NonNull ModelCheckpoint mode(@NonNull String v) {
        monitor = new Monitor(monitorKey, v, 0);
        mode = v;
        return this;
    }

    public @NonNull ModelCheckpoint saveBestOnly(boolean v) {
        saveBestOnly = v;
        return this;
    }

    public @NonNull ModelCheckpoint weightsOnly(boolean v) {
        weightsOnly = v;
        return this;
    }

    /** Save every {@code steps} optimizer steps instead of every epoch; 0 means every epoch. */
    public @NonNull ModelCheckpoint saveEverySteps(int steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("save_freq: expected \"epoch\" or a positive number of batches, got " + steps);
        }
        saveFreq = steps;
        return this;
    }

    /** With save_best_only: save only values better than this. */
    public @NonNull ModelCheckpoint initialValueThreshold(@Nullable Double v) {
        initialValueThreshold = v;
        return this;
    }

    /** The last file written, or null. */
    public @Nullable Path lastSaved() {
        return lastSaved;
    }

    @Override
    public void onTrainBegin(TrainingState state) {
        best = initialValueThreshold != null ? initialValueThreshold : monitor.worst();
    }

    @Override
    public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
        if (saveFreq > 0 && state.model().iterations() % saveFreq == 0) {
            save(state.epoch(), batch, logs, state);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
        if (saveFreq == 0) {
            save(epoch, -1, logs, state);
        }
    }

    private void save(int epoch, int batch, Map<String, Double> logs, TrainingState state) {
        if (saveBestOnly) {
            double current = monitor.read(logs, "ModelCheckpoint");
            if (!monitor.improves(current, best)) {
                return;
            }
            LOG.info("epoch {}: {} improved from {} to {}", epoch + 1, monitor.key, best, current);
            best = current;
        }
        Path path = Path.of(fill(epoch, batch, logs));
        if (weightsOnly) {
            byte[] bytes = Safetensors.write(state.model().getWeights(), Map.of("format", "dlkit", "epoch", Integer.toString(epoch + 1)));
            AtomicFile.write(path, o -> o.write(bytes));
        } else {
            state.requestCheckpoint(path);
        }
        lastSaved = path;
    }

    /** The template with its fields filled from the epoch, batch and logs. */
    String fill(int epoch, int batch, Map<String, Double> logs) {
        Map<String, Double> values = new HashMap<>(logs);
        values.put("epoch", (double) (epoch + 1));
        if (batch >= 0) {
            values.put("batch", (double) (batch + 1));
        }
        Matcher m = FIELD.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Double v = values.get(m.group(1));
            if (v == null) {
                List<String> known = new ArrayList<>(values.keySet());
                throw new DlkitException("ModelCheckpoint: filepath \"" + template + "\" names {" + m.group(1)
                        + "} but the logs hold " + known);
            }
            String zero = m.group(2) == null ? "" : m.group(2);
            String width = m.group(3) == null ? "" : m.group(3);
            String prec = m.group(4) == null ? "" : "." + m.group(4);
            String type = m.group(5) == null || m.group(5).isEmpty() ? (m.group(1).equals("epoch") || m.group(1).equals("batch") ? "d" : "s") : m.group(5);
            String s = switch (type) {
                case "d" -> String.format(Locale.ROOT, "%" + zero + width + "d", Math.round(v));
                case "s" -> v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString(Math.round(v)) : Double.toString(v);
                default -> String.format(Locale.ROOT, "%" + zero + width + prec + type, v);
            };
            m.appendReplacement(sb, Matcher.quoteReplacement(s));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    @Override
    public JsonNode checkpointState() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("best", best);
        if (lastSaved != null) {
            o.put("last_saved", lastSaved.toString());
        }
        return o;
    }

    @Override
    public void restoreCheckpointState(JsonNode s) {
        best = s.path("best").asDouble();
        lastSaved = s.has("last_saved") ? Path.of(s.get("last_saved").asText()) : null;
    }

    static ModelCheckpoint fromConfig(Options o, Path outputDir) {
        if (!o.has("filepath")) {
            throw new dlkit.ConfigException(o.at("filepath"), "required, e.g. \"ckpt-{epoch:03d}-{val_loss:.4f}.dlk\" (relative to the output directory)");
        }
        ModelCheckpoint[] c = new ModelCheckpoint[1];
        Path file = OutputPaths.inside(outputDir, o.string("filepath", ""), o.at("filepath"));
        o.apply("filepath", () -> c[0] = new ModelCheckpoint(file.toString()));
        ModelCheckpoint mc = c[0];
        o.apply("monitor", () -> mc.monitor(o.string("monitor", "val_loss")));
        o.apply("mode", () -> mc.mode(o.choice("mode", "auto", Monitor.MODES)));
        mc.saveBestOnly(o.bool("save_best_only", false));
        mc.weightsOnly(o.bool("save_weights_only", false));
        mc.initialValueThreshold(o.optionalNumber("initial_value_threshold"));
        mc.saveEverySteps(o.saveFreq());
        return mc;
    }
}
