package dlkit.cli;

import dlkit.model.Model;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "convert", mixinStandardHelpOptions = true, description = {
        "Convert a model between dlkit and Keras 3 files.",
        "Formats by extension: .dlk; .keras (Keras 3: config.json, metadata.json, model.weights.h5); .json (Keras model.to_json(),"
                + " or a dlkit model config as input; as output, Keras JSON with NAME.weights.h5 beside it); .weights.h5 (weights only, as output)."})
final class ConvertCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "The model: .dlk, .keras, or model JSON.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The file to write: .dlk, .keras, .json, .weights.h5 or .onnx (ONNX, written only).")
    Path out;

    @Option(names = "--weights", paramLabel = "FILE", description = "The .weights.h5 of a Keras JSON input (default: NAME.weights.h5 beside it, when present).")
    Path weights;

    @Override
    public Integer call() {
        Model m = ModelFiles.read(in, weights);
        String written = ModelFiles.write(m, out);
        System.out.printf("%s → %s: %s, %,d parameters%n", in, written, m.modelType(), m.paramCount());
        return 0;
    }
}
