package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.config.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dl tune end to end on the built-in digits: results, reproducible trials, kill -9 and resume, two workers on one study. */
class TuneCommandTest {
    @TempDir
    Path dir;

    /** The quick-start MLP with a tune section: learning rate, units, dropout; {@code fit} and {@code tune} as given. */
    private Path config(String name, String fit, String tune) throws Exception {
        String json = """
                {"name": "digits",
                 "model": {"layers": [{"type": "Input", "shape": [8, 8]}, {"type": "Flatten"},
                   {"type": "Dense", "units": 32, "activation": "relu"}, {"type": "Dropout", "rate": 0.1},
                   {"type": "Dense", "units": 10, "activation": "softmax"}]},
                 "compile": {"optimizer": {"type": "adam", "learning_rate": 0.005}, "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
                 "data": {"train": {"type": "digits", "split": "train"}, "normalize": "scale"},
                 "fit": %s,
                 "tune": %s}""".formatted(fit, tune);
        Path p = dir.resolve(name);
        Files.writeString(p, json);
        return p;
    }

    private static final String SPACE = """
            {"compile.optimizer.learning_rate": {"log_uniform": [1e-4, 3e-2]}, "model.layers[2].units": {"choice": [8, 16, 32]},
             "model.layers[3].rate": {"uniform": [0.0, 0.5]}}""";

    private static List<Map<String, Object>> rows(Path db, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            List<Map<String, Object>> out = new ArrayList<>();
            while (r.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= r.getMetaData().getColumnCount(); i++) {
                    row.put(r.getMetaData().getColumnName(i), r.getObject(i));
                }
                out.add(row);
            }
            return out;
        }
    }

    @Test
    void aStudyWritesItsResultsAndItsBestConfigReproducesTheBestTrial() throws Exception {
        Path cfg = config("tpe.json", "{\"epochs\": 3, \"batch_size\": 32, \"seed\": 1, \"validation_split\": 0.2}",
                "{\"space\": " + SPACE + ", \"algorithm\": \"tpe\", \"max_trials\": 8, \"startup_trials\": 4}");
        Path out = dir.resolve("study");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "tune", cfg.toString(), "--output", out.toString());
        assertEquals(0, o.code(), o.stdout() + o.stderr());
        assertTrue(o.stdout().contains("rank  trial"), o.stdout());
        List<String> csv = Files.readAllLines(out.resolve("trials.csv"));
        assertEquals(9, csv.size(), "header and 8 trials: " + csv);
        assertTrue(csv.get(0).startsWith("number,state,val_accuracy,best_epoch,epochs_run"), csv.get(0));
        for (String p : List.of("objective.png", "param-1-compile.optimizer.learning_rate.png", "param-2-model.layers_2_.units.png", "best.json")) {
            assertTrue(Files.size(out.resolve(p)) > 0, p);
        }
        // best.json is the best trial's run config: trained with dl train, it logs the same history.
        List<Map<String, Object>> best = rows(out.resolve("study.db"), "SELECT number, value FROM trials WHERE state = 'COMPLETE' ORDER BY value DESC, number LIMIT 1");
        int number = ((Number) best.get(0).get("number")).intValue();
        JsonNode b = Json.MAPPER.readTree(out.resolve("best.json").toFile());
        assertFalse(b.has("tune"), "a plain run config");
        assertEquals(3, b.get("fit").get("epochs").asInt());
        Path again = dir.resolve("again");
        DlCommandTest.Out t = DlCommandTest.dlIn(dir, "train", out.resolve("best.json").toString(), "--output", again.toString(), "--quiet");
        assertEquals(0, t.code(), t.stderr());
        assertEquals(Files.readString(out.resolve("trials").resolve(String.format("trial-%04d", number)).resolve("history.csv")),
                Files.readString(again.resolve("history.csv")), "dl train best.json repeats trial " + number);
        double logged = Double.parseDouble(Files.readAllLines(again.resolve("history.csv")).stream().skip(1)
                .map(l -> l.split(",")[4]).max((x, y) -> Double.compare(Double.parseDouble(x), Double.parseDouble(y))).orElseThrow());
        assertEquals(((Number) best.get(0).get("value")).doubleValue(), logged, 1e-5);
        // The same command again: refused, the study kept.
        DlCommandTest.assertBadIn(dir, "already holds a study (study.db): --resume continues it", "tune", cfg.toString(), "--output", out.toString());
    }

    @Test
    void killedAndResumedTheStudyRunsNoFinishedTrialAgain() throws Exception {
        Path cfg = config("random.json", "{\"epochs\": 20, \"batch_size\": 4, \"seed\": 1, \"validation_split\": 0.2}",
                "{\"space\": " + SPACE + ", \"algorithm\": \"random\", \"max_trials\": 10}");
        Path out = dir.resolve("study");
        Path db = out.resolve("study.db");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                "dlkit.cli.Dl", "tune", cfg.toString(), "--output", out.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("first.log").toFile()).start();
        long deadline = System.currentTimeMillis() + 120_000;
        int complete = 0;
        while (complete < 3 && p.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
            if (Files.exists(db)) {
                try {
                    complete = ((Number) rows(db, "SELECT COUNT(*) AS n FROM trials WHERE state = 'COMPLETE'").get(0).get("n")).intValue();
                } catch (java.sql.SQLException e) {
                    // the tables may not exist yet
                }
            }
        }
        assertTrue(p.isAlive(), "the study was still running when killed: " + Files.readString(dir.resolve("first.log")));
        p.destroyForcibly().waitFor(); // SIGKILL: no chance to tidy up
        List<Map<String, Object>> before = rows(db, "SELECT number, state FROM trials ORDER BY number");
        Set<Integer> finished = new HashSet<>();
        Map<Integer, FileTime> written = new LinkedHashMap<>();
        for (Map<String, Object> r : before) {
            if (r.get("state").equals("COMPLETE")) {
                int n = ((Number) r.get("number")).intValue();
                finished.add(n);
                written.put(n, Files.getLastModifiedTime(out.resolve("trials").resolve(String.format("trial-%04d", n)).resolve("history.csv")));
            }
        }
        assertTrue(finished.size() >= 3 && finished.size() < 10, "finished before the kill: " + before);
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "tune", cfg.toString(), "--output", out.toString(), "--resume");
        assertEquals(0, o.code(), o.stdout() + o.stderr());
        List<Map<String, Object>> after = rows(db, "SELECT number, state, starts FROM trials ORDER BY number");
        assertEquals(10, after.size(), after.toString());
        for (Map<String, Object> r : after) {
            int n = ((Number) r.get("number")).intValue();
            assertEquals("COMPLETE", r.get("state"), "trial " + n);
            if (finished.contains(n)) {
                assertEquals(1, ((Number) r.get("starts")).intValue(), "trial " + n + " finished before the kill and ran once");
                assertEquals(written.get(n), Files.getLastModifiedTime(out.resolve("trials").resolve(String.format("trial-%04d", n)).resolve("history.csv")),
                        "trial " + n + " was not run again");
            }
        }
        assertEquals(10, Files.readAllLines(out.resolve("trials.csv")).size() - 1);
    }

    @Test
    void twoWorkerProcessesShareOneStudyWithNoTrialLostOrRunTwice() throws Exception {
        // Trials of about a second each: the second process (a JVM starting) joins while most are still to run.
        Path cfg = config("parallel.json", "{\"epochs\": 30, \"batch_size\": 4, \"seed\": 1, \"validation_split\": 0.2}",
                "{\"space\": " + SPACE + ", \"algorithm\": \"random\", \"max_trials\": 12}");
        Path out = dir.resolve("study");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "tune", cfg.toString(), "--output", out.toString(), "--parallel", "2");
        assertEquals(0, o.code(), o.stdout() + o.stderr());
        List<Map<String, Object>> trials = rows(out.resolve("study.db"), "SELECT number, state, starts, worker FROM trials ORDER BY number");
        assertEquals(12, trials.size(), trials.toString());
        Set<Object> workers = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            assertEquals(i, ((Number) trials.get(i).get("number")).intValue());
            assertEquals("COMPLETE", trials.get(i).get("state"), trials.get(i).toString());
            assertEquals(1, ((Number) trials.get(i).get("starts")).intValue(), "trial " + i + " ran once: " + trials.get(i));
            workers.add(trials.get(i).get("worker"));
            assertTrue(Files.exists(out.resolve("trials").resolve(String.format("trial-%04d", i)).resolve("model.dlk")));
        }
        assertEquals(2, workers.size(), "both processes ran trials: " + workers);
    }

    @Test
    void hyperbandPromotesTheBestOfEachRung() throws Exception {
        Path cfg = config("hyperband.json", "{\"epochs\": 9, \"batch_size\": 32, \"seed\": 1, \"validation_split\": 0.2}",
                "{\"space\": " + SPACE + ", \"algorithm\": \"hyperband\", \"max_epochs\": 9, \"factor\": 3}");
        Path out = dir.resolve("study");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "tune", cfg.toString(), "--output", out.toString(), "--quiet");
        assertEquals(0, o.code(), o.stdout() + o.stderr());
        List<Map<String, Object>> t = rows(out.resolve("study.db"), "SELECT number, epochs, bracket, rung, parent, value, params FROM trials ORDER BY number");
        // Brackets for R = 9, η = 3: (9×1, 3×3, 1×9), (5×3, 1×9), (3×9): 22 trials.
        assertEquals(22, t.size(), t.toString());
        for (Map<String, Object> r : t) {
            if (r.get("parent") == null) {
                continue;
            }
            int parent = ((Number) r.get("parent")).intValue();
            Map<String, Object> from = t.get(parent);
            assertEquals(from.get("params"), r.get("params"), "a promotion keeps its settings");
            assertEquals(((Number) from.get("rung")).intValue() + 1, ((Number) r.get("rung")).intValue());
            // Promoted: at least as good as every trial of its rung that was not.
            double v = ((Number) from.get("value")).doubleValue();
            for (Map<String, Object> peer : t) {
                boolean sameRung = peer.get("bracket").equals(from.get("bracket")) && peer.get("rung").equals(from.get("rung"));
                boolean promoted = t.stream().anyMatch(x -> x.get("parent") != null && ((Number) x.get("parent")).intValue() == ((Number) peer.get("number")).intValue());
                if (sameRung && !promoted) {
                    assertTrue(v >= ((Number) peer.get("value")).doubleValue(), "trial " + parent + " promoted over " + peer);
                }
            }
        }
        assertEquals(9, ((Number) t.get(21).get("epochs")).intValue());
    }

    @Test
    void medianPruningStopsTrialsBehindTheMedianAndKeepsThemOutOfTheBest() throws Exception {
        // A wide learning-rate range: the slow ones fall behind the median early.
        Path cfg = config("pruned.json", "{\"epochs\": 6, \"batch_size\": 32, \"seed\": 1, \"validation_split\": 0.2}",
                "{\"space\": {\"compile.optimizer.learning_rate\": {\"log_uniform\": [1e-5, 3e-2]}}, \"algorithm\": \"random\", \"max_trials\": 16,"
                        + " \"pruning\": \"median\"}");
        Path out = dir.resolve("study");
        DlCommandTest.Out o = DlCommandTest.dlIn(dir, "tune", cfg.toString(), "--output", out.toString(), "--quiet");
        assertEquals(0, o.code(), o.stdout() + o.stderr());
        List<Map<String, Object>> t = rows(out.resolve("study.db"), "SELECT number, state, epochs_run, value FROM trials ORDER BY number");
        assertEquals(16, t.size());
        long pruned = t.stream().filter(r -> r.get("state").equals("PRUNED")).count();
        assertTrue(pruned >= 3, "pruned trials: " + t);
        for (Map<String, Object> r : t) {
            int n = ((Number) r.get("number")).intValue();
            int epochs = ((Number) r.get("epochs_run")).intValue();
            if (r.get("state").equals("PRUNED")) {
                assertTrue(n >= 5 && epochs < 6, "pruned only after 5 finished trials, before its last epoch: " + r);
                assertEquals(epochs, Files.readAllLines(out.resolve("trials").resolve(String.format("trial-%04d", n)).resolve("history.csv")).size() - 1);
            } else {
                assertEquals("COMPLETE", r.get("state"));
                assertEquals(6, epochs, r.toString());
            }
        }
        List<String> csv = Files.readAllLines(out.resolve("trials.csv"));
        assertTrue(csv.stream().anyMatch(l -> l.contains(",pruned,")), String.join("\n", csv));
    }

    @Test
    void aBadSpaceExitsTwoNamingThePath() throws Exception {
        String fit = "{\"epochs\": 1, \"batch_size\": 32, \"seed\": 1, \"validation_split\": 0.2}";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"model.layers[9].units\": {\"choice\": [8, 16]}}", "tune.space[\"model.layers[9].units\"]: no item [9] in model.layers: it is a list of 5");
        cases.put("{\"compile.optimiser.learning_rate\": {\"uniform\": [0.1, 0.2]}}", "tune.space[\"compile.optimiser.learning_rate\"]: the run config has no \"optimiser\" in compile");
        cases.put("{\"model.layers[2].unts\": {\"choice\": [8, 16]}}", "tune.space[\"model.layers[2].unts\"] set to 8: ");
        cases.put("{\"model.layers[3].rate\": {\"uniform\": [0.5, 0.1]}}", "tune.space[\"model.layers[3].rate\"].uniform: empty range: low 0.5 must be below high 0.1");
        cases.put("{\"model.layers[2].units\": {\"choice\": 64}}", "tune.space[\"model.layers[2].units\"].choice: expected a non-empty list of values, got 64");
        cases.put("{\"model.layers[2].units\": {\"normal\": [1, 2]}}", "tune.space[\"model.layers[2].units\"]: unknown distribution \"normal\"");
        // Both ends of a range and every choice are tried: 2.0 is no dropout rate, -4 no number of units.
        cases.put("{\"model.layers[3].rate\": {\"uniform\": [0.0, 2.0]}}", "tune.space[\"model.layers[3].rate\"] set to 2.0: ");
        cases.put("{\"model.layers[2].units\": {\"choice\": [8, -4]}}", "tune.space[\"model.layers[2].units\"] set to -4: ");
        int i = 0;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path cfg = config("bad" + i++ + ".json", fit, "{\"space\": " + c.getKey() + "}");
            DlCommandTest.assertBadIn(dir, c.getValue(), "tune", cfg.toString(), "--output", dir.resolve("bad-study").toString());
        }
        assertFalse(Files.exists(dir.resolve("bad-study").resolve("study.db")), "no study started");
        // --space replaces the section; a missing file is named.
        Path cfg = config("nospace.json", fit, "{}");
        DlCommandTest.assertBadIn(dir, "tune: missing required key \"space\" (or pass --space SPACE.json)", "tune", cfg.toString());
        DlCommandTest.assertBadIn(dir, "missing.json: cannot read the search space", "tune", cfg.toString(), "--space", dir.resolve("missing.json").toString());
        ObjectNode unknown = Json.MAPPER.createObjectNode().put("algorithm", "tpee");
        unknown.set("space", Json.MAPPER.readTree(SPACE));
        Path bad = config("algo.json", fit, unknown.toString());
        DlCommandTest.assertBadIn(dir, "tune.algorithm: expected one of [grid, random, tpe, hyperband], got \"tpee\"; did you mean \"tpe\"?", "tune", bad.toString());
    }
}
