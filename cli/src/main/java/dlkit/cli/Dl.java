package dlkit.cli;

import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.ModelFileException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dl}: train, evaluate, predict, summarise, validate and benchmark models from JSON configs. */
@Command(name = "dl", mixinStandardHelpOptions = true, versionProvider = Dl.Version.class,
        description = "Train and run dlkit models from one JSON file.",
        subcommands = {TrainCommand.class, EvaluateCommand.class, PredictCommand.class, SummaryCommand.class, ConvertCommand.class,
                ValidateCommand.class, BenchCommand.class, PlotCommand.class, ServeCommand.class, TuneCommand.class, CommandLine.HelpCommand.class, picocli.AutoComplete.GenerateCompletion.class})
public final class Dl {
    /** Exit code for a run that failed (e.g. a NaN loss). */
    public static final int RUN_FAILED = 1;
    /** Exit code for bad usage, a bad config or bad data. */
    public static final int BAD_INPUT = 2;

    @Option(names = "--verbose", description = "Print stack traces and library logs.", scope = CommandLine.ScopeType.INHERIT)
    boolean verbose;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        if (!verbose) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        dlkit.data.NamedDatasets.setDownloadListener(new DownloadProgress(System.err));
        CommandLine cli = new CommandLine(new Dl());
        HelpText.wrap(cli);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (verbose) {
                e.printStackTrace(err);
            }
            if (e instanceof ConfigException || e instanceof ModelFileException || e instanceof dlkit.ShapeException) {
                err.println("dl: error: " + e.getMessage());
                return BAD_INPUT;
            }
            if (e instanceof DlkitException) {
                err.println("dl: error: " + e.getMessage());
                return BAD_INPUT;
            }
            err.println("dl: internal error: " + e + (verbose ? "" : " (run with --verbose for the stack trace)"));
            return RUN_FAILED;
        });
        cli.setParameterExceptionHandler((e, a) -> {
            PrintWriter err = e.getCommandLine().getErr();
            err.println("dl: " + e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
            return BAD_INPUT;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // A last resort: sizes are checked before anything large is allocated, so this should never be reached.
            cli.getErr().println("dl: error: out of memory (" + e.getMessage() + "); raise the limit with DL_JAVA_OPTS=-Xmx..."
                    + " or use a smaller model, batch or data set");
            return RUN_FAILED;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Dl.class.getPackage().getImplementationVersion();
            return new String[] {"dl (dlkit) " + (v != null ? v : "0.1.0-SNAPSHOT"), "ND4J 1.0.0-M2.1, " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")};
        }
    }
}
