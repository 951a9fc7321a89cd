package dlkit.bench;

import dlkit.data.ArrayDataset;
import dlkit.data.Idx;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.model.FitOptions;
import dlkit.model.History;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.optim.Adam;
import dlkit.tensor.Native;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fashion-MNIST MLP 784-256-128-10 with Adam 1e-3: training ms/step at several batch sizes beside PyTorch 2.13 CPU
 * (../shared/reference/step_time.py) in the same run, and test accuracy after 10 epochs.
 * Usage: MlpBench [--data DIR] [--batches 16,128,1024] [--seconds S] [--epochs N] [--no-accuracy] [--torch PYTHON]
 */
public final class MlpBench {
    public static void main(String[] args) throws Exception {
        Path data = Path.of("/usr/share/datasets/fashion-mnist");
        String batches = "16,128,1024";
        double seconds = 8;
        int epochs = 10;
        boolean accuracy = true;
        String python = System.getProperty("user.home") + "/.venvs/torchref/bin/python";
        Path reference = Path.of("../shared/reference");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--batches" -> batches = args[++i];
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                case "--no-accuracy" -> accuracy = false;
                case "--torch" -> python = args[++i];
                case "--reference" -> reference = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.println("native: " + Native.init());
        ArrayDataset train = Idx.dataset(data.resolve("train-images-idx3-ubyte.gz"), data.resolve("train-labels-idx1-ubyte.gz"), true).reshape(dlkit.tensor.Shape.of(784));
        ArrayDataset test = Idx.dataset(data.resolve("t10k-images-idx3-ubyte.gz"), data.resolve("t10k-labels-idx1-ubyte.gz"), true).reshape(dlkit.tensor.Shape.of(784));
        List<String> rows = new ArrayList<>();
        for (String b : batches.split(",")) {
            int batch = Integer.parseInt(b.trim());
            double ours = stepTime(train, batch, seconds);
            double torch = torchStepTime(python, reference, batch, seconds);
            rows.add(String.format(Locale.ROOT, "batch %5d: dlkit %7.3f ms/step   pytorch %s   ratio %s", batch, ours,
                    Double.isNaN(torch) ? "    n/a" : String.format(Locale.ROOT, "%7.3f ms/step", torch),
                    Double.isNaN(torch) ? "n/a" : String.format(Locale.ROOT, "%.2f", ours / torch)));
            System.out.println(rows.get(rows.size() - 1));
        }
        if (accuracy) {
            Model m = mlp();
            m.compile(Adam.of(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            long t0 = System.nanoTime();
            History h = m.fit(train, FitOptions.epochs(epochs).batchSize(128).seed(2));
            double secs = (System.nanoTime() - t0) / 1e9;
            Map<String, Double> r = m.evaluate(test);
            System.out.printf(Locale.ROOT, "accuracy: %d epochs in %.1f s (%.2f s/epoch), train loss %.4f, test loss %.4f, test accuracy %.4f%n",
                    epochs, secs, secs / epochs, h.last("loss"), r.get("loss"), r.get("accuracy"));
        }
        System.out.println("summary:");
        rows.forEach(System.out::println);
    }

    static Model mlp() {
        return Sequential.of(
                Input.of(784),
                Dense.of(256).activation(Activation.RELU),
                Dense.of(128).activation(Activation.RELU),
                Dense.of(10).activation(Activation.SOFTMAX));
    }

    /** ms per training step on random batches, after a warm-up, keeping the better of two measurements. */
    static double stepTime(ArrayDataset train, int batch, double seconds) {
        Model m = mlp();
        m.compile(Adam.of(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        m.initialize(0);
        int steps = (int) Math.min(train.count() / batch, 200);
        ArrayDataset chunk = train.slice(0, steps * batch);
        FitOptions once = FitOptions.epochs(1).batchSize(batch).seed(0);
        m.fit(chunk, once); // warm-up: JIT and plan allocation
        m.fit(chunk, once);
        double best = Double.MAX_VALUE;
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        do {
            long t0 = System.nanoTime();
            m.fit(chunk, once);
            best = Math.min(best, (System.nanoTime() - t0) / 1e6 / steps);
        } while (System.nanoTime() < deadline);
        return best;
    }

    static double torchStepTime(String python, Path reference, int batch, double seconds) {
        if (!Files.isExecutable(Path.of(python)) || !Files.exists(reference.resolve("step_time.py"))) {
            return Double.NaN;
        }
        try {
            Process p = new ProcessBuilder(python, "step_time.py", "mlp", Integer.toString(batch), "--seconds", Double.toString(seconds))
                    .directory(reference.toFile()).redirectErrorStream(true).start();
            String last = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("ms_per_step=")) {
                        last = line.substring("ms_per_step=".length());
                    }
                }
            }
            p.waitFor();
            return last == null ? Double.NaN : Double.parseDouble(last.trim());
        } catch (Exception e) {
            return Double.NaN;
        }
    }
}
