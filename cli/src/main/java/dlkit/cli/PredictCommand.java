package dlkit.cli;

import dlkit.ConfigException;
import dlkit.data.Csv;
import dlkit.data.Npy;
import dlkit.files.AtomicFile;
import dlkit.model.Model;
import dlkit.tensor.Memory;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
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

    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "The samples: a .csv or .csv.gz file (a row per sample, a column per feature) or a .npy array [samples, ...].")
    Path input;

    @Option(names = "--no-header", description = "The CSV's first row is data (default: it names the columns when any of its cells is not a number).")
    boolean noHeader;

    @Option(names = "--skip-column", paramLabel = "NAME_OR_INDEX", description = "Leave out this CSV column (its name, or 0-based index), such as the labels of a test file.")
    String skipColumn;

    @Option(names = "--output", paramLabel = "FILE", description = "Where to write (.csv or .npy); standard output as CSV by default.")
    Path output;

    @Override
    public Integer call() throws Exception {
        Model m = Model.load(model);
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
}
