package dlkit.cli;

import dlkit.io.ModelConfig;
import dlkit.model.Model;
import dlkit.run.RunConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "summary", mixinStandardHelpOptions = true, description = "Print the layer table of a run config, a model config or a .dlk archive.")
final class SummaryCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG_OR_MODEL")
    Path file;

    @Override
    public Integer call() throws Exception {
        Model m;
        if (file.getFileName().toString().endsWith(".dlk")) {
            m = Model.load(file);
        } else {
            var text = java.nio.file.Files.readString(file);
            var node = dlkit.config.Json.MAPPER.readTree(text);
            if (node != null && node.has("layers")) {
                m = ModelConfig.fromJson(text, file.toString());
            } else {
                RunConfig rc = RunConfig.read(file);
                m = ModelConfig.fromNode(rc.modelWithCompile(), "model");
            }
        }
        m.summary();
        return 0;
    }
}
