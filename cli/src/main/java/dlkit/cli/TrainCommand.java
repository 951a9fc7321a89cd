package dlkit.cli;

import dlkit.callbacks.ProgressBar;
import dlkit.model.Callback;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "train", mixinStandardHelpOptions = true, description = {
        "Train the model a config describes; writes DIR/model.dlk, DIR/history.csv and DIR/metrics.json."})
final class TrainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG", description = "The run config (JSON).")
    Path config;

    @Option(names = "--epochs", description = "Override fit.epochs.")
    Integer epochs;

    @Option(names = "--batch-size", description = "Override fit.batch_size.")
    Integer batchSize;

    @Option(names = "--seed", description = "Override fit.seed.")
    Long seed;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Output directory (default: runs/<config name>-<timestamp>).")
    Path output;

    @Option(names = {"-q", "--quiet"}, description = "No progress output.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        if (epochs != null && epochs < 1 || batchSize != null && batchSize < 1) {
            throw new dlkit.ConfigException(null, "--epochs and --batch-size must be positive integers");
        }
        RunConfig rc = RunConfig.read(config);
        Run run = Run.prepare(rc);
        Path out = output != null ? output
                : Path.of("runs", rc.name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try {
            Files.createDirectories(out);
            Path probe = Files.createTempFile(out, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException | SecurityException e) {
            throw new dlkit.ConfigException(null, "output directory " + out + " is not writable: " + e.getMessage());
        }
        List<Callback> callbacks = quiet ? List.of() : List.of(ProgressBar.toStdout());
        Run.Result r = run.train(out, new Run.Overrides(epochs, batchSize, seed), callbacks);
        if (r.diverged()) {
            System.err.println("dl: error: training diverged: the loss became NaN or infinite in epoch " + r.epochs()
                    + "; try a lower learning rate. History so far: " + out.resolve("history.csv"));
            return Dl.RUN_FAILED;
        }
        if (!quiet) {
            for (Map.Entry<String, Map<String, Double>> e : r.metrics().entrySet()) {
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-10s", e.getKey()));
                e.getValue().forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s=%.4f", k, v)));
                System.out.println(sb);
            }
            System.out.printf(Locale.ROOT, "%d epochs in %.1f s; wrote %s%n", r.epochs(), r.seconds(), out.resolve("model.dlk"));
        }
        return 0;
    }
}
