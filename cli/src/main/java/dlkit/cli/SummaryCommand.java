package dlkit.cli;

import dlkit.files.AtomicFile;
import dlkit.files.InputFiles;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.plot.GraphPicture;
import dlkit.run.RunConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "summary", mixinStandardHelpOptions = true, description = {
        "Print a model's layer table.", "The model of a run config, a model config (dlkit or Keras JSON), a .dlk or a .keras file, with each layer's output shape and parameters."})
final class SummaryCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CONFIG_OR_MODEL", description = "A run config, a model config (dlkit or Keras JSON), a .dlk or a .keras file.")
    Path file;

    @Option(names = "--graph", paramLabel = "FILE", description = "Also draw the model's layers and connections: Graphviz source for FILE.dot, a picture for FILE.svg.")
    Path graph;

    @Override
    public Integer call() throws Exception {
        Model m;
        String name = file.getFileName().toString();
        if (name.endsWith(".dlk") || name.endsWith(".keras")) {
            m = Model.load(file);
        } else if (dlkit.keras.KerasFormat.isKerasJson(dlkit.config.Json.MAPPER.readTree(
                InputFiles.readString(file, InputFiles.MAX_CONFIG_BYTES, "JSON config or model file")))) {
            m = ModelFiles.read(file, null);
        } else {
            var text = InputFiles.readString(file, InputFiles.MAX_CONFIG_BYTES, "JSON config or .dlk archive");
            var node = dlkit.config.Json.MAPPER.readTree(text);
            if (node != null && node.has("layers")) {
                m = ModelConfig.fromJson(text, file.toString());
            } else {
                RunConfig rc = RunConfig.read(file);
                m = ModelConfig.fromNode(rc.modelWithCompile(), "model");
            }
        }
        m.summary();
        if (graph != null) {
            String fileName = graph.getFileName().toString();
            String text;
            if (fileName.endsWith(".dot") || fileName.endsWith(".gv")) {
                text = GraphPicture.dot(m);
            } else if (fileName.endsWith(".svg")) {
                text = GraphPicture.svg(m);
            } else {
                throw new CommandLine.ParameterException(new CommandLine(this), "--graph " + graph + ": expected a file name ending in .dot or .svg");
            }
            AtomicFile.write(graph, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            System.out.println("graph written to " + graph);
        }
        return 0;
    }
}
