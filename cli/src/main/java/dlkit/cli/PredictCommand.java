package dlkit.cli;

import dlkit.ConfigException;
import dlkit.data.Csv;
import dlkit.data.Npy;
import dlkit.files.AtomicFile;
import dlkit.model.Model;
import dlkit.tensor.Memory;
import dlkit.tensor.Shape;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "predict", mixinStandardHelpOptions = true, description = {
        "Model outputs for the samples in a CSV or .npy file.",
        "Samples are raw, as the model was trained on them (a model trained by dl train normalises its input itself).",
        "CSV out: the predicted class, then one column per output; .npy out: the outputs array."})
final class PredictCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "A .dlk or .keras model file.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE|NAME=FILE",
            description = {"The samples: a .csv or .csv.gz file (a row per sample, a column per feature) or a .npy array [samples, ...]"
                    + " (float, or int32/int64 token ids).", "For a model with several inputs, NAME=FILE.npy once per input (its Input layer's name)."})
    List<String> inputs;

    @Option(names = "--no-header", description = "The CSV's first row is data (default: it names the columns when any of its cells is not a number).")
    boolean noHeader;

    @Option(names = "--skip-column", paramLabel = "NAME_OR_INDEX", description = "Leave out this CSV column (its name, or 0-based index), such as the labels of a test file.")
    String skipColumn;

    @Option(names = "--output", paramLabel = "FILE|DIR", description = {"Where to write (.csv or .npy); standard output as CSV by default.",
            "For a model with several inputs or outputs: a directory that receives OUTPUT_NAME.npy per output."})
    Path output;

    @Override
    public Integer call() throws Exception {
        Model m = Model.load(model);
        if (m.inputNames().size() > 1 || m.outputNames().size() > 1 || inputs.size() > 1 || named(inputs.get(0), m) != null) {
            return predictNamed(m);
        }
        Path input = Path.of(inputs.get(0));
        float[] values;
        int n;
        String name = input.getFileName().toString();
        if (name.endsWith(".npy")) {
            Npy.Array a = Npy.read(input);
            values = a.values();
            n = a.count();
        } else if (name.endsWith(".csv") || name.endsWith(".csv.gz")) {
            Csv.Table t = Csv.read(input, noHeader ? Csv.Header.ABSENT : Csv.Header.AUTO);
            if (skipColumn != null) {
                t = t.without(t.column(skipColumn, input.toString()));
            }
            values = t.values();
            n = t.rows();
        } else {
            throw new ConfigException("--input", "expected a .csv or .npy file, got " + input);
        }
        int per = m.inputShape().size();
        if (n == 0 || values.length != (long) n * per) {
            throw new ConfigException("--input", input + ": " + n + " samples of " + (n == 0 ? 0 : values.length / n)
                    + " values, but model '" + m.name() + "' takes " + per + " values per sample (shape " + m.inputShape() + ")");
        }
        long[] shape = new long[m.inputShape().rank() + 1];
        shape[0] = n;
        for (int i = 0; i < m.inputShape().rank(); i++) {
            shape[i + 1] = m.inputShape().dim(i);
        }
        // The samples go to native memory as one array, and the outputs come back as another.
        long outputs = Memory.product(n, m.outputShape().size());
        Memory.requireOffHeap(outputs < 0 ? -1 : 4L * values.length + 4L * outputs, input + ": " + n + " samples and their outputs");
        INDArray out = m.predict(Nd4j.create(values, shape, 'c'));
        float[] o = out.castTo(DataType.FLOAT).data().asFloat();
        int width = (int) (o.length / n);
        if (output != null && output.getFileName().toString().endsWith(".npy")) {
            AtomicFile.write(output, s -> Npy.write(s, out.shape(), o));
            return 0;
        }
        StringBuilder sb = new StringBuilder("class");
        for (int j = 0; j < width; j++) {
            sb.append(",p").append(j);
        }
        sb.append('\n');
        for (int r = 0; r < n; r++) {
            int best = 0;
            for (int j = 1; j < width; j++) {
                if (o[r * width + j] > o[r * width + best]) {
                    best = j;
                }
            }
            sb.append(width == 1 ? (o[r] > 0.5 ? 1 : 0) : best);
            for (int j = 0; j < width; j++) {
                sb.append(',').append(String.format(Locale.ROOT, "%.6g", o[r * width + j]));
            }
            sb.append('\n');
        }
        if (output == null) {
            PrintStream ps = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            ps.print(sb);
        } else {
            AtomicFile.write(output, (OutputStream s) -> s.write(sb.toString().getBytes(StandardCharsets.UTF_8)));
        }
        return 0;
    }

    /** The input name of a {@code NAME=FILE} argument when NAME is one of the model's inputs, else null. */
    private static String named(String arg, Model m) {
        int eq = arg.indexOf('=');
        return eq > 0 && m.inputNames().contains(arg.substring(0, eq)) ? arg.substring(0, eq) : null;
    }

    /** Several inputs (.npy, by Input name) and outputs (DIR/NAME.npy each). */
    private int predictNamed(Model m) throws Exception {
        List<String> names = m.inputNames();
        Map<String, Path> files = new LinkedHashMap<>();
        for (String arg : inputs) {
            String name = named(arg, m);
            if (name == null && names.size() == 1 && inputs.size() == 1) {
                name = names.get(0);
            }
            if (name == null) {
                throw new ConfigException("--input", "\"" + arg + "\": expected NAME=FILE.npy with NAME one of the model's inputs " + names);
            }
            if (files.put(name, Path.of(arg.substring(arg.indexOf('=') + 1))) != null) {
                throw new ConfigException("--input", "input \"" + name + "\" given twice");
            }
        }
        if (!files.keySet().containsAll(names)) {
            List<String> missing = names.stream().filter(n -> !files.containsKey(n)).toList();
            throw new ConfigException("--input", "model '" + m.name() + "' takes inputs " + names + "; missing " + missing);
        }
        List<INDArray> xs = new ArrayList<>();
        long samples = -1;
        long bytes = 0;
        for (int i = 0; i < names.size(); i++) {
            Path file = files.get(names.get(i));
            if (!file.getFileName().toString().endsWith(".npy")) {
                throw new ConfigException("--input", names.get(i) + "=" + file + ": expected a .npy file for a named input");
            }
            Npy.Array a = Npy.read(file);
            Shape shape = m.inputShapes().get(i);
            int n = a.count();
            if (n == 0 || a.values().length != (long) n * shape.size()) {
                throw new ConfigException("--input", names.get(i) + "=" + file + ": shape " + java.util.Arrays.toString(a.shape()) + ", but input \""
                        + names.get(i) + "\" takes samples shaped " + shape);
            }
            if (samples >= 0 && n != samples) {
                throw new ConfigException("--input", names.get(i) + "=" + file + ": " + n + " samples, the other inputs have " + samples);
            }
            samples = n;
            bytes += 4L * a.values().length;
            long[] dims = new long[shape.rank() + 1];
            dims[0] = n;
            for (int d = 0; d < shape.rank(); d++) {
                dims[d + 1] = shape.dim(d);
            }
            Memory.requireOffHeap(bytes, names.get(i) + "=" + file);
            xs.add(Nd4j.create(a.values(), dims, 'c'));
        }
        List<INDArray> ys = m.predict(xs);
        List<String> outs = m.outputNames();
        if (ys.size() == 1 && output != null && output.getFileName().toString().endsWith(".npy")) {
            float[] o = ys.get(0).castTo(DataType.FLOAT).data().asFloat();
            AtomicFile.write(output, s -> Npy.write(s, ys.get(0).shape(), o));
            return 0;
        }
        if (output == null) {
            throw new ConfigException("--output", "model '" + m.name() + "' has outputs " + outs + ": give --output DIR to receive one .npy per output");
        }
        Files.createDirectories(output);
        for (int i = 0; i < ys.size(); i++) {
            INDArray y = ys.get(i);
            float[] o = y.castTo(DataType.FLOAT).data().asFloat();
            Path file = output.resolve(outs.get(i).replaceAll("[^A-Za-z0-9._-]", "_") + ".npy");
            AtomicFile.write(file, s -> Npy.write(s, y.shape(), o));
            System.out.println(outs.get(i) + ": " + file + " " + java.util.Arrays.toString(y.shape()));
        }
        return 0;
    }
}
