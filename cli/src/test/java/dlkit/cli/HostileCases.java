package dlkit.cli;

import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.layers.reshaping.Flatten;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.optim.Adam;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Hostile and careless inputs for {@code dl}: files and configs an attacker or a mistake could hand over, each with
 * the exit code and the part of the message it must give. {@link HostileInputTest} runs them in-process;
 * {@code bench/hostile} runs them as separate processes under {@code /usr/bin/time -v} for their peak memory
 * (started through {@link #main}, which writes the files and a tab-separated manifest).
 */
final class HostileCases {
    /** One {@code dl} invocation: {@code fragment} must appear in its error output; exit 0 cases must simply succeed. */
    record Case(String name, int exit, String fragment, List<String> args) {}

    private HostileCases() {}

    /** Writes every hostile file under {@code dir} and returns the cases that use them. */
    static List<Case> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Case> cases = new ArrayList<>();
        Path model = dir.resolve("digits.dlk");
        Model m = Sequential.of(Input.of(8, 8), Flatten.of(), Dense.of(10).activation(Activation.SOFTMAX));
        m.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY).initialize(1);
        m.save(model);

        // Sizes that overflow an int or exhaust memory.
        archive(dir.resolve("units-max.dlk"), dense(4, "2147483647"), null);
        cases.add(new Case("model.json units 2^31-1", 2, "model.json: layers[1]: layer 'dense' (Dense) has 8,589,934,588 weights", List.of("summary", s(dir.resolve("units-max.dlk")))));
        archive(dir.resolve("units-30m.dlk"), dense(784, "30000000"), null);
        cases.add(new Case("model.json units 30,000,000 x 784 inputs", 2, "more than 2^31 weights", List.of("summary", s(dir.resolve("units-30m.dlk")))));
        Path big = config(dir, "big-dense", quick().replace("{\"type\": \"Dense\", \"units\": 64, \"activation\": \"relu\"}",
                "{\"type\": \"Dense\", \"units\": 67108864}, {\"type\": \"Dense\", \"units\": 64, \"activation\": \"relu\"}"));
        cases.add(new Case("Dense 67,108,864 then Dense 64: validate", 2, "model.layers[2]: layer 'dense' (Dense) has 4,294,967,296 weights", List.of("validate", s(big))));
        cases.add(new Case("Dense 67,108,864 then Dense 64: train", 2, "more than 2^31 weights", List.of("train", s(big), "--quiet", "--output", s(dir.resolve("run-big")))));
        // No weights, huge activations: one buffer past 2^31 values, then all of them past the native memory.
        String upsampled = "{\"type\": \"Input\", \"shape\": [8, 8, 1]}, {\"type\": \"UpSampling2D\", \"size\": [%d, %d]},"
                + " {\"type\": \"GlobalAveragePooling2D\"}, {\"type\": \"Dense\", \"units\": 10, \"activation\": \"softmax\"}";
        String layers = quick().substring(quick().indexOf("{\"type\": \"Input\""), quick().lastIndexOf("}\n    ]") + 1);
        String allAtOnce = quick().replace("\"batch_size\": 32", "\"batch_size\": 1437");
        Path wide = config(dir, "activations-buffer", allAtOnce.replace(layers, String.format(upsampled, 1000, 1000)));
        cases.add(new Case("a 1,437-sample batch of [8000, 8000, 1] activations", 2, "fit.batch_size: a batch of 1437 samples of shape [8000, 8000, 1]", List.of("validate", s(wide))));
        Path deep = config(dir, "activations-memory", allAtOnce.replace(layers, String.format(upsampled, 125, 125)));
        cases.add(new Case("1,437 x 1,000,000 activations and gradients", 2, "of native memory needed", List.of("validate", s(deep))));
        Path batch = config(dir, "batch-max", quick().replace("\"batch_size\": 32", "\"batch_size\": 2147483647").replace("\"epochs\": 30", "\"epochs\": 1"));
        cases.add(new Case("batch_size 2^31-1 trains on all samples at once", 0, "", List.of("train", s(batch), "--quiet", "--output", s(dir.resolve("run-batch")))));
        Path samples = config(dir, "playground-max", playground("2147483647"));
        cases.add(new Case("playground samples 2^31-1", 2, "data.train.samples", List.of("validate", s(samples))));
        Path wrap = config(dir, "playground-wrap", playground("4294967301"));
        cases.add(new Case("playground samples 2^32+5 (not 5)", 2, "data.train.samples", List.of("validate", s(wrap))));
        Path seed = config(dir, "seed-2-70", quick().replace("\"seed\": 1", "\"seed\": 1180591620717411303424"));
        cases.add(new Case("seed 2^70 (not 0)", 2, "fit.seed", List.of("validate", s(seed))));
        archive(dir.resolve("version-wrap.dlk"), dense(4, "2").replace("\"type\": \"Sequential\"", "\"type\": \"Sequential\", \"version\": 4294967297"), null);
        cases.add(new Case("model version 2^32+1 (not 1)", 2, "version", List.of("summary", s(dir.resolve("version-wrap.dlk")))));

        // Safetensors headers whose sizes overflow.
        archive(dir.resolve("st-huge.dlk"), dense(4, "2"), safetensors("{\"dense.kernel\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,0]}}"));
        cases.add(new Case("safetensors shape [2^31-1] x 3", 2, "dense.kernel", List.of("summary", s(dir.resolve("st-huge.dlk")))));
        archive(dir.resolve("st-wrap.dlk"), dense(4, "2"), safetensors("{\"dense.kernel\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824,4],\"data_offsets\":[0,0]}}"));
        cases.add(new Case("safetensors [2^30, 2^30, 4] in zero bytes", 2, "dense.kernel", List.of("summary", s(dir.resolve("st-wrap.dlk")))));

        // .npy headers.
        cases.add(npy(dir, model, "npy-header-len", npyBytes(2, 0x7fffffff, ""), "header length"));
        cases.add(npy(dir, model, "npy-negative", npyBytes(1, -1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 64), }"), "shape"));
        cases.add(npy(dir, model, "npy-letter", npyBytes(1, -1, "{'descr': '<f4', 'fortran_order': False, 'shape': ('a', 64), }"), "shape"));
        cases.add(npy(dir, model, "npy-descr", npyBytes(1, -1, "{'descr': '<f99999999999', 'fortran_order': False, 'shape': (2, 64), }"), "descr"));
        cases.add(npy(dir, model, "npy-huge", npyBytes(1, -1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"), "needs more than"));

        // Non-regular files.
        if (Files.exists(Path.of("/dev/zero"))) {
            cases.add(new Case("validate /dev/zero", 2, "not a regular file", List.of("validate", "/dev/zero")));
            Path zeroNpy = dir.resolve("zero.npy");
            Files.deleteIfExists(zeroNpy);
            Files.createSymbolicLink(zeroNpy, Path.of("/dev/zero"));
            cases.add(new Case("predict --input /dev/zero", 2, "not a regular file", List.of("predict", s(model), "--input", s(zeroNpy))));
            Path csv = config(dir, "data-dev-zero", quick().replace("{\"type\": \"digits\", \"split\": \"train\"}",
                    "{\"type\": \"csv\", \"path\": \"/dev/zero\", \"label\": 64}"));
            cases.add(new Case("a data path to /dev/zero", 2, "not a regular file", List.of("validate", s(csv))));
            Path dlk = dir.resolve("zero.dlk");
            Files.deleteIfExists(dlk);
            Files.createSymbolicLink(dlk, Path.of("/dev/zero"));
            cases.add(new Case("a model archive that is /dev/zero", 2, "not a regular file", List.of("summary", s(dlk))));
        }
        Path idx = dir.resolve("idx-huge-images");
        Files.write(idx, idxHeader(0x803, 2147483548, 28, 28));
        Files.write(dir.resolve("idx-labels"), idxHeader(0x801, 2147483548));
        Path idxConfig = config(dir, "idx-huge", quick().replace("{\"type\": \"digits\", \"split\": \"train\"}",
                "{\"type\": \"idx\", \"images\": \"idx-huge-images\", \"labels\": \"idx-labels\"}"));
        cases.add(new Case("28-byte IDX header claiming 2^31-100 samples", 2, "its header declares 2147483548 samples", List.of("validate", s(idxConfig))));

        // Paths a config would write outside the output directory.
        Path name = config(dir, "name-escape", quick().replace("\"name\": \"quickstart\"", "\"name\": \"../../x\""));
        cases.add(new Case("name ../../x", 2, "name: \"../../x\" is not a plain name", List.of("validate", s(name))));
        Path csvLog = config(dir, "csvlogger-abs", quick().replace("\"validation_split\": 0.1}",
                "\"validation_split\": 0.1, \"callbacks\": [{\"type\": \"CSVLogger\", \"filename\": \"" + dir.resolve("victim.txt").toAbsolutePath() + "\"}]}"));
        cases.add(new Case("CSVLogger filename /abs/path", 2, "fit.callbacks[0].filename", List.of("validate", s(csvLog))));
        Path ckpt = config(dir, "checkpoint-escape", quick().replace("\"validation_split\": 0.1}",
                "\"validation_split\": 0.1, \"callbacks\": [{\"type\": \"ModelCheckpoint\", \"filepath\": \"../../x.dlk\"}]}"));
        cases.add(new Case("ModelCheckpoint filepath ../../x.dlk", 2, "fit.callbacks[0].filepath", List.of("validate", s(ckpt))));
        Path backup = config(dir, "backup-escape", quick().replace("\"validation_split\": 0.1}",
                "\"validation_split\": 0.1, \"callbacks\": [{\"type\": \"BackupAndRestore\", \"backup_dir\": \"/tmp\"}]}"));
        cases.add(new Case("BackupAndRestore backup_dir /tmp", 2, "fit.callbacks[0].backup_dir", List.of("validate", s(backup))));

        // Checkpoints from elsewhere, and another config into a finished run.
        Path short1 = config(dir, "short", quick().replace("\"epochs\": 30", "\"epochs\": 2"));
        Path done = dir.resolve("run-done");
        if (Dl.run("train", s(short1), "--quiet", "--output", s(done)) != 0) {
            throw new IllegalStateException("the reference run for the checkpoint cases did not train");
        }
        Path other = config(dir, "other", quick().replace("\"epochs\": 30", "\"epochs\": 2").replace("\"units\": 64", "\"units\": 32"));
        cases.add(new Case("another config into a finished run", 2, "holds a run of another config", List.of("train", s(other), "--quiet", "--output", s(done))));
        cases.add(new Case("--workers without --spark", 2, "--workers: --workers is a setting of --spark",
                List.of("train", s(short1), "--workers", "2", "--quiet", "--output", s(dir.resolve("run-workers")))));
        cases.add(checkpoint(dir, done, short1, "epoch-negative", "\"epoch\":-5", "epoch"));
        cases.add(checkpoint(dir, done, short1, "epoch-huge", "\"epoch\":2147483653", "epoch"));
        cases.add(checkpoint(dir, done, short1, "batches-negative", "\"batches_done\":-3", "batches_done"));

        cases.add(new Case("summary of a missing file", 2, "no such file", List.of("summary", s(dir.resolve("missing.json")))));
        return cases;
    }

    private static String s(Path p) {
        return p.toString();
    }

    private static String quick() throws IOException {
        return Files.readString(Path.of("..", "configs", "quickstart.json").toAbsolutePath().normalize());
    }

    private static String playground(String samples) {
        return "{\"model\": {\"layers\": [{\"type\": \"Input\", \"shape\": [2]}, {\"type\": \"Dense\", \"units\": 2, \"activation\": \"softmax\"}]},"
                + " \"compile\": {\"optimizer\": \"adam\", \"loss\": \"sparse_categorical_crossentropy\"},"
                + " \"data\": {\"train\": {\"type\": \"playground\", \"dataset\": \"xor\", \"samples\": " + samples + "}}}";
    }

    private static Path config(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name + ".json");
        Files.writeString(p, text);
        return p;
    }

    /** A Sequential model config: Input of {@code inputs}, one Dense of {@code units} (written as given). */
    private static String dense(int inputs, String units) {
        return "{\"format\": \"dlkit-model\", \"type\": \"Sequential\", \"name\": \"m\", \"layers\": [{\"type\": \"Input\", \"shape\": [" + inputs
                + "]}, {\"type\": \"Dense\", \"units\": " + units + "}]}";
    }

    /** A .dlk zip of a model.json and a weights.safetensors (a valid empty one when {@code weights} is null). */
    private static void archive(Path file, String modelJson, byte[] weights) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("model.json"));
            zip.write(modelJson.getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("weights.safetensors"));
            zip.write(weights != null ? weights : safetensors("{}"));
            zip.closeEntry();
        }
    }

    private static byte[] safetensors(String header) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    /** A .npy file: version {@code major}, the given header (its real length when {@code claimedLength} < 0). */
    private static byte[] npyBytes(int major, int claimedLength, String header) {
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(12 + h.length + 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) major).put((byte) 0);
        int len = claimedLength >= 0 ? claimedLength : h.length;
        if (major == 1) {
            b.putShort((short) len);
        } else {
            b.putInt(len);
        }
        b.put(h);
        return b.array();
    }

    private static Case npy(Path dir, Path model, String name, byte[] bytes, String fragment) throws IOException {
        Path p = dir.resolve(name + ".npy");
        Files.write(p, bytes);
        return new Case(".npy " + name, 2, fragment, List.of("predict", s(model), "--input", s(p)));
    }

    private static byte[] idxHeader(int magic, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length);
        b.putInt(magic);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.array();
    }

    /** A copy of {@code run}'s checkpoint with one field of its training.json replaced, and the resume that must refuse it. */
    private static Case checkpoint(Path dir, Path run, Path config, String name, String replacement, String fragment) throws IOException {
        Path copy = dir.resolve("run-" + name);
        Files.createDirectories(copy);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(run.resolve("checkpoint.dlk").toFile())) {
            for (var e : java.util.Collections.list(zip.entries())) {
                entries.put(e.getName(), zip.getInputStream(e).readAllBytes());
            }
        }
        String training = new String(entries.get("training.json"), StandardCharsets.UTF_8).replaceAll("\\s+", "");
        String key = replacement.substring(0, replacement.indexOf(':') + 1);
        String changed = training.replaceFirst(java.util.regex.Pattern.quote(key) + "-?[0-9]+", java.util.regex.Matcher.quoteReplacement(replacement))
                .replace("\"completed\":true", "\"completed\":false");
        if (changed.equals(training)) {
            throw new IllegalStateException("training.json has no " + key);
        }
        entries.put("training.json", changed.getBytes(StandardCharsets.UTF_8));
        try (OutputStream out = Files.newOutputStream(copy.resolve("checkpoint.dlk")); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (var e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return new Case("checkpoint " + replacement, 2, fragment, List.of("train", s(config), "--quiet", "--output", s(copy)));
    }

    /** {@code HostileCases DIR}: writes the files and DIR/cases.tsv (name, exit code, message fragment, arguments). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]).toAbsolutePath();
        StringBuilder tsv = new StringBuilder();
        for (Case c : write(dir)) {
            // "-" for no fragment: the shell's read merges empty tab-separated fields.
            tsv.append(c.name()).append('\t').append(c.exit()).append('\t').append(c.fragment().isEmpty() ? "-" : c.fragment());
            c.args().forEach(a -> tsv.append('\t').append(a));
            tsv.append('\n');
        }
        Files.writeString(dir.resolve("cases.tsv"), tsv);
        System.exit(0);
    }

    static String capture(ByteArrayOutputStream b) {
        return b.toString(StandardCharsets.UTF_8);
    }
}
