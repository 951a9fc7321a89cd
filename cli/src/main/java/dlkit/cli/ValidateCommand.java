package dlkit.cli;

import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "validate", mixinStandardHelpOptions = true, description = {
        "Check a run config without training.", "Everything a run would check: keys, model, shapes, memory, data files and labels;",
        "and its \"tune\" section, every setting of the search space tried in the config, as dl tune checks it."})
final class ValidateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG", description = "The run config (JSON).")
    Path config;

    @Override
    public Integer call() throws java.io.IOException {
        Run run = Run.prepare(RunConfig.read(config));
        System.out.printf("%s: OK (%,d parameters, %d training samples%s)%n", config, run.model().paramCount(), run.train().count(),
                run.test() != null ? ", " + run.test().count() + " test samples" : "");
        if (dlkit.config.Json.MAPPER.readTree(java.nio.file.Files.readString(config)).has("tune")) {
            dlkit.tune.TuneConfig t = dlkit.tune.Tuner.check(config, null);
            System.out.printf("%s: tune OK (%s over %d settings, %s %s)%n", config, t.algorithm(), t.space().params().size(),
                    t.maximize() ? "maximising" : "minimising", t.metric());
        }
        return 0;
    }
}
