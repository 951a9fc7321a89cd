package dlkit.cli;

import dlkit.config.Json;
import dlkit.files.InputFiles;
import dlkit.keras.KerasFormat;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;

/** Model files by name: .dlk and .keras archives, and JSON told apart by content (dlkit's config or Keras' to_json). */
final class ModelFiles {
    private ModelFiles() {}

    static Model read(Path file, Path weights) {
        String name = lower(file);
        if (name.endsWith(".json")) {
            String text = InputFiles.readString(file, InputFiles.MAX_CONFIG_BYTES, "model JSON");
            try {
                if (KerasFormat.isKerasJson(Json.MAPPER.readTree(text))) {
                    return KerasFormat.readJson(file, weights);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (weights != null) {
                throw new dlkit.ConfigException(null, "--weights " + weights + ": a dlkit model config takes no weights file; convert its .dlk instead");
            }
            return ModelConfig.fromJson(text, file.toString());
        }
        if (weights != null) {
            throw new dlkit.ConfigException(null, "--weights applies to a Keras model JSON input, not " + file);
        }
        return Model.load(file);
    }

    /** Writes by extension; a Keras JSON goes with its weights beside it (NAME.weights.h5), as Keras users keep them. */
    static String write(Model model, Path out) {
        String name = lower(out);
        if (name.endsWith(".json")) {
            String base = out.getFileName().toString();
            Path weights = out.resolveSibling(base.substring(0, base.length() - ".json".length()) + ".weights.h5");
            KerasFormat.writeWeights(model, weights);
            KerasFormat.writeJson(model, out);
            return out + " (Keras model JSON) and " + weights;
        }
        if (!name.endsWith(".dlk") && !name.endsWith(".keras") && !name.endsWith(".weights.h5") && !name.endsWith(".onnx")) {
            throw new dlkit.ConfigException(null, out + ": unknown model file type; expected a name ending in .dlk, .keras, .json, .weights.h5 or .onnx");
        }
        model.save(out);
        return out.toString();
    }

    private static String lower(Path p) {
        return p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
    }
}
