package dlkit.cli;

import dlkit.tune.Trial;
import dlkit.tune.Tuner;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tune", mixinStandardHelpOptions = true, description = {
        "Search the settings of a run config: its \"tune\" section (or --space) names settings by JSON path and their ranges;",
        "each trial is a run directory whose config.json reproduces it with dl train. The study lives in DIR/study.db (SQLite):",
        "kill it and run the same command with --resume to go on; --parallel N runs N worker processes on it.",
        "Writes DIR/trials.csv, DIR/best.json (the best trial's run config), objective.png and param-*.png."})
final class TuneCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "CONFIG", description = "The run config (JSON), with a \"tune\" section unless --space is given.")
    Path config;

    @Option(names = "--space", paramLabel = "SPACE.json", description = "The search space: {\"json.path\": {\"log_uniform\": [lo, hi]}, ...}; replaces tune.space.")
    Path space;

    @Option(names = "--output", paramLabel = "DIR", description = "The study's directory (default: runs/NAME-tune).")
    Path output;

    @Option(names = "--parallel", paramLabel = "N", defaultValue = "1", description = "Worker processes running trials at once (default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--resume", description = "Continue the study in --output: finished trials are kept, a trial left running by a killed process runs again.")
    boolean resume;

    @Option(names = "--quiet", description = "No line per trial, no leaderboard.")
    boolean quiet;

    /** A worker started by --parallel: runs trials, writes no results. */
    @Option(names = "--worker", hidden = true)
    boolean worker;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (parallel < 1 || parallel > 64) {
            throw new dlkit.ConfigException("--parallel", "expected 1 to 64 worker processes, got " + parallel);
        }
        Path out = output;
        if (out == null) {
            out = Path.of("runs", dlkit.run.RunConfig.read(config).name() + "-tune");
        }
        try (Tuner tuner = Tuner.open(config, space, out, resume || worker, quiet ? null : System.out)) {
            if (!quiet && !worker) {
                System.out.printf(Locale.ROOT, "dl: tuning %s: %s over %d settings, %s %s, up to %d epochs per trial%s; study %s%n", config,
                        tuner.config().algorithm(), tuner.config().space().params().size(), tuner.config().maximize() ? "maximising" : "minimising",
                        tuner.config().metric(), tuner.config().maxEpochs(), parallel > 1 ? ", " + parallel + " workers" : "",
                        tuner.study().file());
            }
            List<Process> workers = new ArrayList<>();
            for (int i = 1; i < parallel; i++) {
                workers.add(new ProcessBuilder(workerCommand(out)).inheritIO().start());
            }
            try {
                tuner.work();
            } finally {
                for (Process p : workers) {
                    int code = p.waitFor();
                    if (code != 0) {
                        System.err.println("dl: warning: worker process " + p.pid() + " exited with " + code);
                    }
                }
            }
            if (worker) {
                return 0;
            }
            Tuner.Summary s = tuner.writeResults();
            if (!quiet) {
                System.out.println();
                System.out.print(tuner.leaderboard(s.trials(), 10));
                long complete = s.trials().stream().filter(t -> t.state() == Trial.State.COMPLETE).count();
                long pruned = s.trials().stream().filter(t -> t.state() == Trial.State.PRUNED).count();
                long failed = s.trials().stream().filter(t -> t.state() == Trial.State.FAILED).count();
                System.out.printf(Locale.ROOT, "%d trials (%d complete, %d pruned, %d failed), %d epochs in all; wrote %s%s%n", s.trials().size(),
                        complete, pruned, failed, s.epochs(), s.csv(), s.bestConfig() == null ? "" : " and " + s.bestConfig());
            }
            return s.best() == null ? Dl.RUN_FAILED : 0;
        }
    }

    /** This same program as a worker on the study: the JVM, its options and class path, and dl tune --worker. */
    private List<String> workerCommand(Path out) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Dl.class.getName());
        cmd.add("tune");
        cmd.add(config.toString());
        cmd.add("--output");
        cmd.add(out.toString());
        cmd.add("--worker");
        if (quiet) {
            cmd.add("--quiet");
        }
        if (space != null) {
            cmd.add("--space");
            cmd.add(space.toString());
        }
        return cmd;
    }
}
