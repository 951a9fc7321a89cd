package dlkit.onnx;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.model.Model;
import dlkit.model.ModelFormat;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code model.save(Path.of("m.onnx"))} and {@code dl convert m.dlk m.onnx}: ONNX is written, not read. */
public final class OnnxFormat implements ModelFormat {
    public OnnxFormat() {}

    @Override
    public List<String> extensions() {
        return List.of(".onnx");
    }

    @Override
    public void save(Model model, Path path, @Nullable JsonNode trainingState) {
        if (trainingState != null) {
            throw new ConfigException(path.toString(), "an ONNX file holds no training state to resume from; checkpoint to a .dlk file");
        }
        OnnxExport.save(model, path);
    }

    @Override
    public Model load(Path path) {
        throw new ConfigException(path.toString(), "dlkit writes ONNX models but does not read them; load the .dlk or .keras file it was exported from");
    }

    @Override
    public @Nullable JsonNode trainingState(Path path) {
        return null;
    }
}
