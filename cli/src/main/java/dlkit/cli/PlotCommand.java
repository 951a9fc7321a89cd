package dlkit.cli;

import dlkit.plot.TrainingCurves;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "plot", mixinStandardHelpOptions = true, description = {
        "Redraw a run's training curves.",
        "Loss and metrics per epoch, training and validation, from RUN_DIR/history.csv into training.png and training.svg."})
final class PlotCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", description = "A dl train output directory (holding history.csv).")
    Path dir;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Where to write the images (default: RUN_DIR).")
    Path output;

    @Override
    public Integer call() {
        Path png = TrainingCurves.write(TrainingCurves.readHistory(dir.resolve("history.csv")), output != null ? output : dir);
        System.out.println("wrote " + png + " and " + png.resolveSibling("training.svg"));
        return 0;
    }
}
