package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.config.Json;
import dlkit.files.AtomicFile;
import dlkit.model.Callback;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.model.TrainingState;
import dlkit.run.DataSources;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A hyper-parameter study over a run config: each trial is a run directory of its own ({@code DIR/trials/trial-0007},
 * whose {@code config.json} reproduces it with {@code dl train}), the study lives in {@code DIR/study.db}
 * ({@link Study}), and any number of worker processes may run {@link #work} on the same directory at once.
 */
public final class Tuner implements AutoCloseable {
    private final Path configFile;
    private final ObjectNode trialBase;
    private final String baseName;
    private final TuneConfig tune;
    private final Study study;
    private final Path out;
    private final @Nullable PrintStream log;

    private Tuner(Path configFile, ObjectNode trialBase, String baseName, TuneConfig tune, Study study, Path out, @Nullable PrintStream log) {
        this.configFile = configFile;
        this.trialBase = trialBase;
        this.baseName = baseName;
        this.tune = tune;
        this.study = study;
        this.out = out;
        this.log = log;
    }

    /**
     * Reads the run config and its search (its {@code tune} section, the space replaced by {@code spaceFile} when
     * given), checks every setting of the space against the config, and opens the study in {@code output}: a new
     * one, or — with {@code resume} — the one there. {@code log} gets a line per trial (null: silent).
     */
    public static @NonNull Tuner open(@NonNull Path configFile, @Nullable Path spaceFile, @NonNull Path output, boolean resume,
                                      @Nullable PrintStream log) {
        Plan plan = plan(configFile, spaceFile);
        try {
            Files.createDirectories(output.resolve("trials"));
        } catch (IOException e) {
            throw new ConfigException("--output", "cannot create " + output + ": " + e.getMessage());
        }
        Path db = output.resolve("study.db");
        if (Files.exists(db) && !resume) {
            throw new ConfigException("--output", output + " already holds a study (study.db): --resume continues it; another --output starts a new one");
        }
        Study study = Study.open(db, plan.spec());
        return new Tuner(configFile, plan.trialBase(), plan.baseName(), plan.tune(), study, output, log);
    }

    /** A checked search: its settings, the config trials start from, and what identifies the study. */
    private record Plan(TuneConfig tune, ObjectNode trialBase, String baseName, String spec) {}

    /**
     * Checks the search of {@code configFile} (its {@code tune} section, or {@code spaceFile}) as {@link #open} does,
     * without starting a study: dl validate. Returns the search.
     */
    public static @NonNull TuneConfig check(@NonNull Path configFile, @Nullable Path spaceFile) {
        return plan(configFile, spaceFile).tune();
    }

    private static Plan plan(Path configFile, @Nullable Path spaceFile) {
        RunConfig base = RunConfig.read(configFile);
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readString(configFile, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException(null, configFile + ": " + e.getMessage());
        }
        JsonNode space = null;
        if (spaceFile != null) {
            try {
                space = Json.MAPPER.readTree(Files.readString(spaceFile, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new ConfigException(null, spaceFile + ": cannot read the search space: " + e.getMessage());
            }
        }
        TuneConfig tune;
        try {
            tune = TuneConfig.parse(root.get("tune"), space, spaceFile == null ? "tune.space" : spaceFile.getFileName().toString(), base.fit().epochs());
        } catch (ConfigException e) {
            throw new ConfigException(null, (spaceFile != null && e.getMessage().startsWith(spaceFile.getFileName().toString()) ? "" : configFile + ": ")
                    + e.getMessage(), e);
        }
        ObjectNode trialBase = ((ObjectNode) root).deepCopy();
        trialBase.remove("tune");
        // Relative data paths resolve against the config's directory; a trial's config sits elsewhere.
        Path dir = configFile.toAbsolutePath().getParent();
        if (trialBase.has("data")) {
            trialBase.set("data", DataSources.withAbsolutePaths(trialBase.get("data"), dir));
        }
        if (trialBase.path("pretrain").has("data")) {
            ((ObjectNode) trialBase.get("pretrain")).set("data", DataSources.withAbsolutePaths(trialBase.get("pretrain").get("data"), dir));
        }
        check(configFile, trialBase, tune);
        ObjectNode spec = Json.MAPPER.createObjectNode();
        spec.set("tune", root.has("tune") ? root.get("tune") : Json.MAPPER.createObjectNode());
        if (space != null) {
            ((ObjectNode) spec.get("tune")).set("space", space);
        }
        spec.put("base", base.fingerprint());
        return new Plan(tune, trialBase, base.name(), Json.canonical(spec));
    }

    /**
     * Every setting of the space set to a value of its range, alone, in the config: the config must still read and
     * its model build — an unknown path or key, or a value the layer refuses, is named before any trial runs.
     */
    private static void check(Path configFile, ObjectNode base, TuneConfig tune) {
        for (Map.Entry<String, Distribution> e : tune.space().params().entrySet()) {
            String where = tune.space().name(e.getKey());
            // Every choice, and both ends of a range: a value the config refuses is found before any trial.
            List<JsonNode> values = e.getValue() instanceof Distribution.Choice c ? c.values()
                    : List.of(((Distribution.Numeric) e.getValue()).external(((Distribution.Numeric) e.getValue()).low()),
                            ((Distribution.Numeric) e.getValue()).external(((Distribution.Numeric) e.getValue()).high()));
            for (JsonNode value : values) {
                checkOne(configFile, base, e.getKey(), value, where);
            }
        }
    }

    private static void checkOne(Path configFile, ObjectNode base, String path, JsonNode value, String where) {
        ObjectNode applied = base.deepCopy();
        try {
            SearchSpace.set(applied, path, value, where);
        } catch (ConfigException x) {
            throw new ConfigException(null, configFile + ": " + x.getMessage(), x);
        }
        try {
            RunConfig rc = RunConfig.fromJson(applied.toString(), configFile, false);
            Model m = ModelConfig.fromNode(rc.model(), "model");
            ModelConfig.applyCompile(m, rc.compile(), "compile");
        } catch (ConfigException x) {
            String msg = x.getMessage().startsWith(configFile + ": ") ? x.getMessage().substring(configFile.toString().length() + 2) : x.getMessage();
            throw new ConfigException(null, configFile + ": " + where + " set to " + value + ": " + msg, x);
        }
    }

    public @NonNull TuneConfig config() {
        return tune;
    }

    public @NonNull Study study() {
        return study;
    }

    /** What {@link #nextTrial} decided: a trial to run, wait for others, or stop. */
    private record Next(@Nullable Trial trial, boolean waitForOthers) {}

    /** Runs trials until the budget is spent and no trial is left to take. */
    public void work() {
        while (true) {
            Next next = study.transaction(this::nextTrial);
            if (next.trial() != null) {
                runTrial(next.trial());
            } else if (next.waitForOthers()) {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } else {
                return;
            }
        }
    }

    /**
     * Trial {@code number}'s random stream: the same in whichever worker runs it, and a different one for each
     * algorithm (so random search and Hyperband with one seed do not draw the same candidates).
     */
    private SplittableRandom random(int number) {
        return new SplittableRandom((tune.seed() * 1_000_003L + number) * 31 + tune.algorithm().hashCode());
    }

    /** Inside the study's transaction: the trial this worker runs next, created if the algorithm says so. */
    private Next nextTrial() throws java.sql.SQLException {
        List<Integer> reclaimed = study.reclaimDead();
        if (!reclaimed.isEmpty() && log != null) {
            log.println("tune: trials " + reclaimed + " were left running by a process that is gone: they run again");
        }
        List<Trial> trials = study.trials();
        boolean late = tune.maxSeconds() != null && System.currentTimeMillis() - Long.parseLong(study.meta("started_ms")) > tune.maxSeconds() * 1000;
        boolean running = trials.stream().anyMatch(t -> t.state() == Trial.State.RUNNING);
        if (late) {
            return new Next(null, false);
        }
        for (Trial t : trials) {
            if (t.state() == Trial.State.WAITING) {
                study.claim(t.number());
                return new Next(withState(t, Trial.State.RUNNING), false);
            }
        }
        if (tune.algorithm().equals("hyperband")) {
            if (createRungs(trials)) {
                return nextTrial();
            }
            return new Next(null, running);
        }
        if (trials.size() >= tune.maxTrials()) {
            return new Next(null, false);
        }
        int number = trials.size();
        Map<String, JsonNode> params = tune.sampler().sample(tune.space(), trials, number, random(number));
        int n = study.insert(Trial.State.RUNNING, params, tune.maxEpochs(), null, null, null);
        return new Next(new Trial(n, Trial.State.RUNNING, params, tune.maxEpochs(), null, null, null, null, null, 0, 0, null, List.of()), false);
    }

    private static Trial withState(Trial t, Trial.State s) {
        return new Trial(t.number(), s, t.params(), t.epochs(), t.bracket(), t.rung(), t.parent(), t.value(), t.bestEpoch(), t.epochsRun(),
                t.seconds(), t.message(), t.history());
    }

    /**
     * Hyperband: every bracket's first rung at the start (random settings); afterwards, when all of a rung's trials
     * have finished, the best of them promoted to the next rung. True if it created trials.
     */
    private boolean createRungs(List<Trial> trials) throws java.sql.SQLException {
        List<Hyperband.Bracket> brackets = Hyperband.brackets(tune.maxEpochs(), tune.factor());
        boolean created = false;
        if (trials.isEmpty()) {
            for (Hyperband.Bracket b : brackets) {
                Hyperband.Rung first = b.rungs().get(0);
                for (int i = 0; i < first.trials(); i++) {
                    int number = study.trials().size();
                    Map<String, JsonNode> params = Sampler.RANDOM.sample(tune.space(), trials, number, random(number));
                    study.insert(Trial.State.WAITING, params, first.epochs(), b.s(), 0, null);
                }
            }
            return true;
        }
        for (Hyperband.Bracket b : brackets) {
            for (int i = 0; i + 1 < b.rungs().size(); i++) {
                int rung = i;
                List<Trial> here = trials.stream().filter(t -> t.bracket() != null && t.bracket() == b.s() && t.rung() != null && t.rung() == rung).toList();
                boolean nextExists = trials.stream().anyMatch(t -> t.bracket() != null && t.bracket() == b.s() && t.rung() != null && t.rung() == rung + 1);
                if (here.isEmpty() || nextExists || !here.stream().allMatch(t -> t.state().finished())) {
                    continue;
                }
                Hyperband.Rung next = b.rungs().get(i + 1);
                List<Trial> ranked = new ArrayList<>(here.stream().filter(t -> t.state() == Trial.State.COMPLETE && t.value() != null).toList());
                ranked.sort(ranking());
                for (Trial t : ranked.subList(0, Math.min(next.trials(), ranked.size()))) {
                    study.insert(Trial.State.WAITING, t.params(), next.epochs(), b.s(), rung + 1, t.number());
                    created = true;
                }
            }
        }
        return created;
    }

    /** Best first, by the objective's direction. */
    Comparator<Trial> ranking() {
        return Comparator.comparingDouble(t -> tune.maximize() ? -t.value() : t.value());
    }

    /** The run config of a trial: the base with the trial's settings, its epochs, and a name of its own. */
    public @NonNull ObjectNode trialConfig(@NonNull Trial t) {
        ObjectNode c = tune.space().apply(trialBase, t.params());
        c.put("name", baseName + "-trial-" + t.number());
        ObjectNode fit = c.has("fit") && c.get("fit").isObject() ? (ObjectNode) c.get("fit") : c.putObject("fit");
        fit.put("epochs", t.epochs());
        return c;
    }

    public @NonNull Path trialDir(int number) {
        return out.resolve("trials").resolve(String.format(Locale.ROOT, "trial-%04d", number));
    }

    private void runTrial(Trial t) {
        Path dir = trialDir(t.number());
        long t0 = System.nanoTime();
        List<Double> history = new ArrayList<>();
        boolean[] pruned = {false};
        try {
            Files.createDirectories(dir);
            ObjectNode config = trialConfig(t);
            Path file = dir.resolve("config.json");
            AtomicFile.write(file, o -> o.write(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(config)));
            Run run = Run.prepare(RunConfig.read(file));
            MedianPruner pruner = tune.pruning().equals("median") ? new MedianPruner(tune.maximize()) : null;
            Callback reporter = new Callback() {
                @Override
                public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
                    Double v = logs.get(tune.metric());
                    if (v == null) {
                        throw new ConfigException("tune.objective", "\"" + tune.metric() + "\" is not logged by this run (logged: " + logs.keySet()
                                + (tune.metric().startsWith("val_") ? "; val_ metrics need fit.validation_split or data.validation" : "") + ")");
                    }
                    history.add(v);
                    study.recordEpoch(t.number(), history.size(), v);
                    if (pruner != null && history.size() < t.epochs()) {
                        List<Trial> others = study.trials().stream().filter(o -> o.number() != t.number()).toList();
                        if (pruner.prune(history, others)) {
                            pruned[0] = true;
                            state.stopTraining();
                        }
                    }
                }
            };
            List<Callback> callbacks = new ArrayList<>(run.callbacks(dir));
            callbacks.add(reporter);
            Run.Result r = run.train(dir, Run.Overrides.NONE, callbacks);
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (r.diverged()) {
                study.finish(t.number(), Trial.State.FAILED, null, null, history.size(), seconds, "diverged at " + r.divergedAt());
                report(t, null, history.size(), seconds, "diverged at " + r.divergedAt());
                return;
            }
            int best = bestIndex(history);
            Trial.State state = pruned[0] ? Trial.State.PRUNED : Trial.State.COMPLETE;
            study.finish(t.number(), state, history.get(best), best + 1, history.size(), seconds, null);
            report(t, history.get(best), history.size(), seconds, pruned[0] ? "pruned" : null);
        } catch (DlkitException e) {
            // A setting the run refuses (a shape that does not fit, a batch too large for memory): this trial fails,
            // the study goes on.
            double seconds = (System.nanoTime() - t0) / 1e9;
            study.finish(t.number(), Trial.State.FAILED, null, null, history.size(), seconds, e.getMessage());
            if (e instanceof ConfigException && e.getMessage().contains("tune.objective")) {
                // The objective itself is wrong: every trial would fail the same way.
                throw e;
            }
            report(t, null, history.size(), seconds, e.getMessage());
        } catch (IOException e) {
            study.finish(t.number(), Trial.State.FAILED, null, null, history.size(), (System.nanoTime() - t0) / 1e9, e.toString());
            throw new DlkitException(dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // Not left RUNNING for a resume to run into again: failed, with what happened, then reported as an error.
            study.finish(t.number(), Trial.State.FAILED, null, null, history.size(), (System.nanoTime() - t0) / 1e9, e.toString());
            throw e;
        }
    }

    private int bestIndex(List<Double> history) {
        int best = 0;
        for (int i = 1; i < history.size(); i++) {
            if (tune.maximize() ? history.get(i) > history.get(best) : history.get(i) < history.get(best)) {
                best = i;
            }
        }
        return best;
    }

    private void report(Trial t, @Nullable Double value, int epochs, double seconds, @Nullable String note) {
        if (log == null) {
            return;
        }
        List<Trial> all = study.trials();
        Trial best = best(all);
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "trial %d", t.number()));
        if (t.bracket() != null) {
            sb.append(String.format(Locale.ROOT, " (bracket %d, rung %d)", t.bracket(), t.rung()));
        }
        t.params().forEach((k, v) -> sb.append(' ').append(shortName(k)).append('=').append(show(v)));
        sb.append(" → ").append(value == null ? "no value" : String.format(Locale.ROOT, "%s=%.4f", tune.metric(), value));
        sb.append(String.format(Locale.ROOT, " (%d epochs, %.1f s)", epochs, seconds));
        if (note != null) {
            sb.append(' ').append(note);
        }
        if (best != null) {
            sb.append(String.format(Locale.ROOT, "; best %.4f (trial %d)", best.value(), best.number()));
        }
        synchronized (log) {
            log.println(sb);
        }
    }

    /** A setting as printed: fractional numbers to 4 significant digits (the files keep every digit). */
    static String show(JsonNode v) {
        return v.isFloatingPointNumber() ? String.format(Locale.ROOT, "%.4g", v.asDouble()) : v.toString();
    }

    /** {@code model.layers[1].units} → {@code layers[1].units}: the path without its section. */
    static String shortName(String path) {
        int dot = path.indexOf('.');
        return dot < 0 ? path : path.substring(dot + 1);
    }

    /** The best complete trial (pruned ones reached their value on fewer epochs and do not count), or null. */
    public @Nullable Trial best(@NonNull List<Trial> trials) {
        return trials.stream().filter(t -> t.state() == Trial.State.COMPLETE && t.value() != null).min(ranking()).orElse(null);
    }

    /** What a finished study wrote. */
    public record Summary(@NonNull List<Trial> trials, @Nullable Trial best, long epochs, @NonNull Path csv, @Nullable Path bestConfig,
                          @NonNull List<Path> pictures) {}

    /**
     * Writes {@code DIR/trials.csv}, {@code DIR/best.json} (the best trial's full run config) and the pictures
     * ({@code objective.png}: the objective by trial; {@code param-*.png}: against each setting), each through a
     * temp file.
     */
    public @NonNull Summary writeResults() {
        List<Trial> trials = study.trials();
        Trial best = best(trials);
        Path csv = out.resolve("trials.csv");
        List<String> paths = new ArrayList<>(tune.space().params().keySet());
        StringBuilder sb = new StringBuilder("number,state," + tune.metric() + ",best_epoch,epochs_run,seconds,bracket,rung,parent");
        for (String p : paths) {
            sb.append(',').append(csvField(p));
        }
        sb.append(",message\n");
        long epochs = 0;
        for (Trial t : trials) {
            epochs += t.epochsRun();
            sb.append(t.number()).append(',').append(t.state().name().toLowerCase(Locale.ROOT)).append(',')
                    .append(t.value() == null ? "" : String.format(Locale.ROOT, "%.6g", t.value())).append(',')
                    .append(t.bestEpoch() == null ? "" : t.bestEpoch()).append(',').append(t.epochsRun()).append(',')
                    .append(String.format(Locale.ROOT, "%.2f", t.seconds())).append(',')
                    .append(t.bracket() == null ? "" : t.bracket()).append(',').append(t.rung() == null ? "" : t.rung()).append(',')
                    .append(t.parent() == null ? "" : t.parent());
            for (String p : paths) {
                JsonNode v = t.params().get(p);
                sb.append(',').append(v == null ? "" : csvField(v.isTextual() ? v.asText() : v.toString()));
            }
            sb.append(',').append(t.message() == null ? "" : csvField(t.message())).append('\n');
        }
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(csv, o -> o.write(bytes));
        Path bestConfig = null;
        if (best != null) {
            bestConfig = out.resolve("best.json");
            ObjectNode config = trialConfig(best);
            AtomicFile.write(bestConfig, o -> o.write(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(config)));
        }
        List<Path> pictures = TunePlots.write(trials, tune, out);
        return new Summary(trials, best, epochs, csv, bestConfig, pictures);
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** The best {@code top} trials, one line each. */
    public @NonNull String leaderboard(@NonNull List<Trial> trials, int top) {
        List<Trial> ranked = new ArrayList<>(trials.stream().filter(t -> t.value() != null && t.state() != Trial.State.FAILED).toList());
        ranked.sort(ranking());
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-5s %-6s %-9s %-12s %-7s %s%n", "rank", "trial", "state", tune.metric(),
                "epochs", "settings"));
        for (int i = 0; i < Math.min(top, ranked.size()); i++) {
            Trial t = ranked.get(i);
            StringBuilder params = new StringBuilder();
            t.params().forEach((k, v) -> params.append(params.length() == 0 ? "" : " ").append(shortName(k)).append('=').append(show(v)));
            sb.append(String.format(Locale.ROOT, "%-5d %-6d %-9s %-12.4f %-7d %s%n", i + 1, t.number(), t.state().name().toLowerCase(Locale.ROOT),
                    t.value(), t.epochsRun(), params));
        }
        return sb.toString();
    }

    /** The settings of every trial so far, counted by state. */
    public @NonNull Map<Trial.State, Integer> counts() {
        Map<Trial.State, Integer> c = new HashMap<>();
        for (Trial t : study.trials()) {
            c.merge(t.state(), 1, Integer::sum);
        }
        return c;
    }

    public @NonNull Path configFile() {
        return configFile;
    }

    @Override
    public void close() {
        study.close();
    }
}
