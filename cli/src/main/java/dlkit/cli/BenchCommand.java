package dlkit.cli;

import dlkit.data.ArrayDataset;
import dlkit.model.FitOptions;
import dlkit.model.Model;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import dlkit.tensor.Native;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "bench", mixinStandardHelpOptions = true, description = {
        "Measure a config's training and predict speed.", "Training ms/step and samples/s after a warm-up, then predict throughput, on the config's model and data."})
final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG", description = "The run config (JSON).")
    Path config;

    @Option(names = "--steps", defaultValue = "100", description = "Timed training steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch-size", description = "Override fit.batch_size.")
    Integer batchSize;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--profile", description = "Also print each layer's forward and backward time per step, and the forward GFLOP/s of its matrix products and convolutions.")
    boolean profile;

    @Override
    public Integer call() {
        if (steps < 1 || batchSize != null && batchSize < 1) {
            throw new dlkit.ConfigException(null, "--steps and --batch-size must be positive integers");
        }
        Run run = Run.prepare(RunConfig.read(config));
        Model m = run.model();
        int batch = batchSize != null ? batchSize : run.config().fit().batchSize();
        ArrayDataset train = run.train();
        int perEpoch = Math.max(1, Math.min(steps, train.count() / batch));
        ArrayDataset chunk = train.slice(0, Math.min(train.count(), perEpoch * batch));
        FitOptions once = FitOptions.epochs(1).batchSize(batch).seed(0);
        m.fit(chunk, once); // warm-up: JIT and buffer planning
        long done = 0;
        long t0 = System.nanoTime();
        while (done < steps) {
            m.fit(chunk, once);
            done += (chunk.count() + batch - 1) / batch;
        }
        double ms = (System.nanoTime() - t0) / 1e6 / done;
        int pn = Math.min(train.count(), 4096);
        long[] shape = new long[m.inputShape().rank() + 1];
        shape[0] = pn;
        for (int i = 0; i < m.inputShape().rank(); i++) {
            shape[i + 1] = m.inputShape().dim(i);
        }
        float[] xs = new float[pn * m.inputShape().size()];
        for (int i = 0; i < pn; i++) {
            System.arraycopy(train.features(i), 0, xs, i * m.inputShape().size(), m.inputShape().size());
        }
        INDArray x = Nd4j.create(xs, shape, 'c');
        m.predict(x);
        long p0 = System.nanoTime();
        int reps = 3;
        for (int i = 0; i < reps; i++) {
            m.predict(x);
        }
        double predictPerS = reps * (double) pn / ((System.nanoTime() - p0) / 1e9);
        int threads = Native.blasThreads();
        java.util.List<Model.LayerTiming> timings = profile ? m.profileLayers(train, batch, steps) : java.util.List.of();
        if (json) {
            com.fasterxml.jackson.databind.node.ObjectNode o = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
            o.put("train_ms_per_step", ms).put("train_samples_per_s", batch / ms * 1000).put("predict_samples_per_s", predictPerS)
                    .put("batch_size", batch).put("threads", threads).put("steps", done);
            if (profile) {
                com.fasterxml.jackson.databind.node.ArrayNode layers = o.putArray("layers");
                for (Model.LayerTiming t : timings) {
                    layers.addObject().put("layer", t.layer()).put("type", t.type()).put("forward_ms", t.forwardMs())
                            .put("backward_ms", t.backwardMs()).put("forward_flops", t.forwardFlops()).put("forward_gflops_per_s", t.forwardGflops());
                }
            }
            System.out.println(o);
        } else {
            System.out.printf(Locale.ROOT, "train: %.3f ms/step, %.0f samples/s (batch %d, %d steps, %d BLAS threads)%npredict: %.0f samples/s%n",
                    ms, batch / ms * 1000, batch, done, threads, predictPerS);
            if (profile) {
                printProfile(timings);
            }
        }
        return 0;
    }

    private static void printProfile(java.util.List<Model.LayerTiming> timings) {
        System.out.printf(Locale.ROOT, "%-28s %-20s %12s %12s %14s%n", "layer", "type", "forward ms", "backward ms", "fwd GFLOP/s");
        double f = 0;
        double b = 0;
        for (Model.LayerTiming t : timings) {
            System.out.printf(Locale.ROOT, "%-28s %-20s %12.3f %12.3f %14s%n", t.layer(), t.type(), t.forwardMs(), t.backwardMs(),
                    t.forwardFlops() > 0 ? String.format(Locale.ROOT, "%.1f", t.forwardGflops()) : "");
            f += t.forwardMs();
            b += t.backwardMs();
        }
        System.out.printf(Locale.ROOT, "%-28s %-20s %12.3f %12.3f%n", "total", "", f, b);
    }
}
