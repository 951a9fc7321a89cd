package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.config.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drives the real {@code dl} command as a subprocess: the main paths, and bad input with exit code 2 and the message. */
class DlCommandTest {
    @TempDir
    static Path dir;
    static Path quickstart;

    record Out(int code, String stdout, String stderr) {}

    static Out dl(String... args) throws IOException, InterruptedException {
        return dlIn(dir, args);
    }

    /** Runs dl with its stdout and stderr captured in files under {@code work}. */
    static Out dlIn(Path work, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dlkit.cli.Dl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(work.resolve("out.txt").toFile()).redirectError(work.resolve("err.txt").toFile()).start();
        int code = p.waitFor();
        return new Out(code, Files.readString(work.resolve("out.txt")), Files.readString(work.resolve("err.txt")));
    }

    @BeforeAll
    static void configs() throws IOException {
        quickstart = Path.of("..", "configs", "quickstart.json").toAbsolutePath().normalize();
        assertTrue(Files.exists(quickstart), quickstart + " exists");
    }

    /** The quick start with one JSON edit applied: {@code find} replaced by {@code replace}. */
    static Path variant(String name, String find, String replace) throws IOException {
        String text = Files.readString(quickstart);
        assertTrue(text.contains(find), "quickstart.json contains " + find);
        Path p = dir.resolve(name + ".json");
        Files.writeString(p, text.replace(find, replace));
        return p;
    }

    @Test
    void trainEvaluatePredictSummaryValidateBench() throws Exception {
        Out v = dl("validate", quickstart.toString());
        assertEquals(0, v.code(), v.stderr());
        assertTrue(v.stdout().contains("OK"), v.stdout());

        Path run = dir.resolve("run");
        Out t = dl("train", quickstart.toString(), "--epochs", "3", "--output", run.toString());
        assertEquals(0, t.code(), t.stderr());
        assertTrue(t.stdout().contains("Epoch 3/3"), t.stdout());
        assertTrue(Files.exists(run.resolve("model.dlk")));
        List<String> history = Files.readAllLines(run.resolve("history.csv"));
        assertEquals("epoch,loss,accuracy,val_loss,val_accuracy", history.get(0));
        assertEquals(4, history.size());
        JsonNode metrics = Json.MAPPER.readTree(run.resolve("metrics.json").toFile());
        assertTrue(metrics.path("test").path("accuracy").asDouble() > 0.5, metrics.toString());
        assertEquals(3, metrics.path("epochs").asInt());

        assertTrue(Files.size(run.resolve("training.png")) > 1000 && Files.size(run.resolve("training.svg")) > 1000, "training curves drawn");
        Files.delete(run.resolve("training.png"));
        Out plot = dl("plot", run.toString());
        assertEquals(0, plot.code(), plot.stderr());
        assertTrue(Files.exists(run.resolve("training.png")));
        Out again = dl("train", quickstart.toString(), "--epochs", "3", "--output", run.toString());
        assertEquals(0, again.code(), again.stderr());
        assertTrue(again.stdout().contains("already holds the finished run"), again.stdout());

        // A checkpoint that is not one (truncated, overwritten): exit 2, the file named, and how to start over.
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("checkpoint.dlk"), "not a zip");
        Out bad = dl("train", quickstart.toString(), "--epochs", "1", "--output", broken.toString());
        assertEquals(2, bad.code(), bad.stderr());
        assertTrue(bad.stderr().contains("checkpoint.dlk") && bad.stderr().contains("--fresh"), bad.stderr());
        Out fresh = dl("train", quickstart.toString(), "--epochs", "1", "--output", broken.toString(), "--fresh", "--quiet");
        assertEquals(0, fresh.code(), fresh.stderr());

        Out e = dl("evaluate", run.resolve("model.dlk").toString(), "--data", quickstart.toString(), "--json",
                "--confusion-matrix", dir.resolve("cm.png").toString());
        assertEquals(0, e.code(), e.stderr());
        java.awt.image.BufferedImage cm = javax.imageio.ImageIO.read(dir.resolve("cm.png").toFile());
        assertTrue(cm.getWidth() > 400 && cm.getWidth() == cm.getHeight(), "a square 10-class heat map");
        JsonNode eval = Json.MAPPER.readTree(e.stdout());
        assertEquals(metrics.path("test").path("accuracy").asDouble(), eval.path("accuracy").asDouble(), 1e-9);

        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            csv.append(i == 0 ? "" : ",").append("p").append(i);
        }
        csv.append('\n');
        for (int r = 0; r < 3; r++) {
            for (int i = 0; i < 64; i++) {
                csv.append(i == 0 ? "" : ",").append((i * 7 + r) % 2);
            }
            csv.append('\n');
        }
        Path in = dir.resolve("in.csv");
        Files.writeString(in, csv);
        Out p = dl("predict", run.resolve("model.dlk").toString(), "--input", in.toString(), "--output", dir.resolve("pred.csv").toString());
        assertEquals(0, p.code(), p.stderr());
        List<String> pred = Files.readAllLines(dir.resolve("pred.csv"));
        assertEquals(4, pred.size());
        assertTrue(pred.get(0).startsWith("class,p0,p1"), pred.get(0));

        // The preprocessing trained with the model travels in it: raw named data, no --normalize, the run's test loss.
        Out raw = dl("evaluate", run.resolve("model.dlk").toString(), "--data", "digits", "--json");
        assertEquals(0, raw.code(), raw.stderr());
        assertEquals(metrics.path("test").path("loss").asDouble(), Json.MAPPER.readTree(raw.stdout()).path("loss").asDouble(), 1e-6);
        Out twice = dl("evaluate", run.resolve("model.dlk").toString(), "--data", "digits", "--normalize", "scale");
        assertEquals(2, twice.code(), twice.stderr());
        assertTrue(twice.stderr().contains("normalises its input itself"), twice.stderr());

        // The same samples without a header row, and with a label column to leave out: the same predictions.
        String rows = csv.substring(csv.indexOf("\n") + 1);
        Files.writeString(dir.resolve("bare.csv"), rows);
        Out bare = dl("predict", run.resolve("model.dlk").toString(), "--input", dir.resolve("bare.csv").toString(), "--no-header");
        assertEquals(0, bare.code(), bare.stderr());
        assertEquals(String.join("\n", pred) + "\n", bare.stdout());
        StringBuilder labelled = new StringBuilder("label," + csv.substring(0, csv.indexOf("\n") + 1));
        rows.lines().forEach(r -> labelled.append("7,").append(r).append('\n'));
        Files.writeString(dir.resolve("labelled.csv"), labelled);
        Out skip = dl("predict", run.resolve("model.dlk").toString(), "--input", dir.resolve("labelled.csv").toString(), "--skip-column", "label");
        assertEquals(0, skip.code(), skip.stderr());
        assertEquals(bare.stdout(), skip.stdout());

        Out s = dl("summary", quickstart.toString());
        assertEquals(0, s.code(), s.stderr());
        assertTrue(s.stdout().contains("Total params: 4,810"), s.stdout());

        Out b = dl("bench", quickstart.toString(), "--steps", "5", "--json");
        assertEquals(0, b.code(), b.stderr());
        JsonNode bench = Json.MAPPER.readTree(b.stdout().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow());
        for (String k : List.of("train_ms_per_step", "train_samples_per_s", "predict_samples_per_s", "batch_size", "threads")) {
            assertTrue(bench.has(k), k + " in " + bench);
        }
        Out version = dl("--version");
        assertEquals(0, version.code());
        assertTrue(version.stdout().startsWith("dl (dlkit)"));
    }

    static void assertBad(String expected, String... args) throws Exception {
        assertBadIn(dir, expected, args);
    }

    static void assertBadIn(Path work, String expected, String... args) throws Exception {
        Out o = dlIn(work, args);
        assertEquals(2, o.code(), "exit code for " + String.join(" ", args) + "; stderr: " + o.stderr());
        assertTrue(o.stderr().contains(expected), "expected \"" + expected + "\" in: " + o.stderr());
        assertFalse(o.stderr().contains("\tat "), "no stack trace: " + o.stderr());
    }

    @Test
    void badInputExitsWithCodeTwoAndAClearMessage() throws Exception {
        Path malformed = dir.resolve("malformed.json");
        Files.writeString(malformed, "{\"model\": {\"layers\": [}");
        assertBad("malformed JSON at line 1", "validate", malformed.toString());
        assertBad("model.layers[2].type: unknown layer type \"Dens\"; did you mean \"Dense\"?", "validate",
                variant("typo", "\"type\": \"Dense\", \"units\": 64", "\"type\": \"Dens\", \"units\": 64").toString());
        assertBad("model.layers[2].units: expected a positive integer, got -4", "validate",
                variant("negative", "\"units\": 64", "\"units\": -4").toString());
        assertBad("model.layers[2].units: expected an integer", "validate", variant("wrongtype", "\"units\": 64", "\"units\": \"many\"").toString());
        assertBad("no such file", "validate",
                variant("missingfile", "{\"type\": \"digits\", \"split\": \"train\"}", "{\"type\": \"csv\", \"path\": \"absent.csv\"}").toString());
        Path csv = dir.resolve("data.csv");
        Files.writeString(csv, "a,b,target\n1,2,0\n3,4,1\n");
        assertBad("no column named \"label\"", "validate",
                variant("nolabel", "{\"type\": \"digits\", \"split\": \"train\"}", "{\"type\": \"csv\", \"path\": \"" + csv + "\"}").toString());
        assertBad("samples have 64 values (shape [8, 8]) but the model's Input takes 10", "validate",
                variant("shape", "\"shape\": [8, 8]", "\"shape\": [10]").toString());
        assertBad("compile.optimizer.type: unknown optimizer \"adamm\"; did you mean \"adam\"?", "validate",
                variant("optimizer", "\"type\": \"adam\"", "\"type\": \"adamm\"").toString());
        assertBad("compile.optimizer.learning_rate: expected a finite number, got \"NaN\"", "validate",
                variant("nan", "\"learning_rate\": 0.005", "\"learning_rate\": \"NaN\"").toString());
        assertBad("is not writable", "train", quickstart.toString(), "--output", "/proc/dlkit-cannot-write-here");
        assertBad("unknown key; did you mean \"model\"?", "validate", variant("topkey", "\"model\":", "\"modle\": {}, \"model\":").toString());
        assertBad("Missing required parameter", "train");
        assertBad("no such file", "validate", dir.resolve("absent.json").toString());
        assertBad("data.train.split: expected \"train\" or \"test\", got \"training\"", "validate", variant("split", "\"split\": \"train\"", "\"split\": \"training\"").toString());
        // the distributed section, checked wherever the run goes
        assertBad("distributed.sync: expected one of [allreduce, average, easgd], got \"gossip\"", "validate",
                variant("sync", "\"model\":", "\"distributed\": {\"sync\": \"gossip\"}, \"model\":").toString());
        assertBad("distributed.every: \"allreduce\" averages the gradients every step", "validate",
                variant("every", "\"model\":", "\"distributed\": {\"every\": 4}, \"model\":").toString());
        assertBad("distributed.beta: expected a number in (0, 1)", "validate",
                variant("beta", "\"model\":", "\"distributed\": {\"sync\": \"easgd\", \"beta\": 1.5}, \"model\":").toString());
        assertBad("distributed.workres: unknown key; did you mean \"workers\"?", "validate",
                variant("dkey", "\"model\":", "\"distributed\": {\"workres\": 2}, \"model\":").toString());
        assertBad("distributed.checkpoint_dir: \"/tmp/x\" is outside the output directory", "validate",
                variant("ckdir", "\"model\":", "\"distributed\": {\"master\": \"local[2]\", \"checkpoint_dir\": \"/tmp/x\"}, \"model\":").toString());
    }

    @Test
    void divergingTrainingExitsWithCodeOne() throws Exception {
        Path bad = variant("diverge", "\"learning_rate\": 0.005", "\"learning_rate\": 1e30");
        Out o = dl("train", bad.toString(), "--epochs", "2", "--quiet", "--output", dir.resolve("nan").toString());
        assertEquals(1, o.code(), o.stderr());
        assertTrue(o.stderr().contains("training diverged"), o.stderr());
    }

    @Test
    void autoencoderRunWritesReconstructionsAndPretrainingRunsBothPhases() throws Exception {
        Path ae = dir.resolve("ae.json");
        Files.writeString(ae, """
                {"model": {"layers": [{"type": "Input", "shape": [8, 8]}, {"type": "Flatten"}, {"type": "Dense", "units": 16, "activation": "relu"},
                  {"type": "Dense", "units": 64, "activation": "sigmoid"}, {"type": "Reshape", "target_shape": [8, 8]}]},
                 "compile": {"optimizer": {"type": "adam", "learning_rate": 0.01}, "loss": "mse"},
                 "data": {"train": {"type": "digits"}, "test": {"type": "digits", "split": "test"}, "normalize": "scale", "target": "input"},
                 "fit": {"epochs": 3, "batch_size": 64, "seed": 1}}""");
        Path aeRun = dir.resolve("ae-run");
        Out t = dl("train", ae.toString(), "--output", aeRun.toString());
        assertEquals(0, t.code(), t.stderr());
        assertTrue(t.stdout().contains("reconstructions: "), t.stdout());
        var img = javax.imageio.ImageIO.read(aeRun.resolve("reconstructions.png").toFile());
        assertTrue(img.getWidth() > 12 * 8 * 3 && img.getHeight() > 2 * 8 * 3, img.getWidth() + "x" + img.getHeight());

        Path pre = dir.resolve("pre.json");
        Files.writeString(pre, """
                {"model": {"layers": [{"type": "Input", "shape": [8, 8]}, {"type": "Flatten"}, {"type": "Dense", "name": "h1", "units": 32, "activation": "relu"},
                  {"type": "Dense", "name": "h2", "units": 16, "activation": "relu"}, {"type": "Dense", "units": 10, "activation": "softmax"}]},
                 "compile": {"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]},
                 "pretrain": {"epochs": 2, "batch_size": 64, "noise": 0.1},
                 "data": {"train": {"type": "digits", "limit": 200}, "test": {"type": "digits", "split": "test"}, "normalize": "scale"},
                 "fit": {"epochs": 2, "batch_size": 32, "seed": 1}}""");
        Out p = dl("train", pre.toString(), "--output", dir.resolve("pre-run").toString());
        assertEquals(0, p.code(), p.stderr());
        String o = p.stdout();
        int first = o.indexOf("Pretraining 1/2: layer 'h1' as an autoencoder (64 -> 32 -> 64)");
        int second = o.indexOf("Pretraining 2/2: layer 'h2' as an autoencoder (32 -> 16 -> 32)");
        int tune = o.indexOf("fine-tuning with labels");
        assertTrue(first >= 0 && second > first && tune > second && o.indexOf("Epoch 2/2", tune) > tune, o);
        Out scratch = dl("train", pre.toString(), "--no-pretrain", "--output", dir.resolve("scratch-run").toString());
        assertEquals(0, scratch.code(), scratch.stderr());
        assertFalse(scratch.stdout().contains("Pretraining"), scratch.stdout());
        assertBad("pretrain.layers", "validate", variant("badpre", "\"fit\":", "\"pretrain\": {\"layers\": \"dense\"}, \"fit\":").toString());
        assertBad("data.target", "validate", variant("badtarget", "\"normalize\"", "\"target\": \"inputs\", \"normalize\"").toString());
    }

    @Test
    void summaryDrawsTheGraph() throws Exception {
        Path inception = Path.of("..", "configs", "fashion-mnist-inception.json").toAbsolutePath().normalize();
        Path dot = dir.resolve("g.dot");
        Out s = dl("summary", inception.toString(), "--graph", dot.toString());
        assertEquals(0, s.code(), s.stderr());
        assertTrue(s.stdout().contains("Connected to") && s.stdout().contains("branch_1x1"), s.stdout());
        String d = Files.readString(dot);
        assertTrue(d.contains("\"stem_pool\" -> \"residual\"") && d.contains("\"branch_5x5\" -> \"mixed\""), d);
        Path svg = dir.resolve("g.svg");
        assertEquals(0, dl("summary", inception.toString(), "--graph", svg.toString()).code());
        String pic = Files.readString(svg);
        assertTrue(pic.startsWith("<svg") && pic.contains("residual (Add)") && pic.contains("mixed (Concatenate)"), pic);
        assertBad("expected a file name ending in .dot or .svg", "summary", inception.toString(), "--graph", dir.resolve("g.png").toString());
    }
}
