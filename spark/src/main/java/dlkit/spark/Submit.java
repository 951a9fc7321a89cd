package dlkit.spark;

import dlkit.DlkitException;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code spark-submit --class dlkit.spark.Submit dlkit-spark-VERSION-all.jar CONFIG [options]}: a run config trained
 * on the cluster spark-submit connects to, the run directory written on the driver. The master, executors and their
 * resources are spark-submit's; the rest is the config's {@code distributed} section and these options.
 */
@Command(name = "dlkit.spark.Submit", mixinStandardHelpOptions = true,
        description = "Train a dlkit run config on the Spark cluster spark-submit runs this on.")
public final class Submit implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG", description = "The run config (readable at this path on the driver and every executor).")
    Path config;

    @Option(names = "--workers", paramLabel = "N", description = "Replicas (default: the config's distributed.workers, or N of local[N]).")
    Integer workers;

    @Option(names = "--output", paramLabel = "DIR", description = "Run directory (default: runs/NAME-TIMESTAMP).")
    Path output;

    @Option(names = "--epochs", paramLabel = "N", description = "Override fit.epochs.")
    Integer epochs;

    @Option(names = "--batch-size", paramLabel = "N", description = "Override fit.batch_size (the global batch).")
    Integer batchSize;

    @Option(names = "--seed", paramLabel = "N", description = "Override fit.seed.")
    Long seed;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cli = new CommandLine(new Submit());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof DlkitException) {
                err.println("dlkit: error: " + e.getMessage());
                return 2;
            }
            e.printStackTrace(err);
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        // spark-submit passes its settings as spark.* system properties, which a new SparkConf reads
        SparkConf conf = new SparkConf();
        if (!conf.contains("spark.master")) {
            throw new dlkit.ConfigException("spark.master", "no Spark master: run this through spark-submit --master ...");
        }
        RunConfig rc = RunConfig.read(config);
        Run run = Run.prepare(rc);
        RunConfig.DistributedConfig d = (rc.distributed() != null ? rc.distributed() : RunConfig.DistributedConfig.DEFAULT)
                .with(conf.get("spark.master"), workers);
        Path out = output != null ? output
                : Path.of("runs", rc.name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(out);
        Run.Overrides o = new Run.Overrides(epochs, batchSize, seed);
        SparkRun.Plan plan = SparkRun.plan(d, run, o, out);
        Run.Result r = SparkRun.trainOn(conf, plan, d, run, o, out, quiet ? null : System.out);
        System.out.printf(java.util.Locale.ROOT, "%d epochs in %.1f s on %s; wrote %s%n", r.epochs(), r.seconds(), plan.master(),
                out.resolve("model.dlk"));
        r.metrics().forEach((split, m) -> System.out.println(split + " " + m));
        return 0;
    }
}
