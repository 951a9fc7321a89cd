package dlkit.model;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ModelFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A model file format, chosen by the file's name: dlkit's own {@code .dlk} archive ({@code dlkit.io.ModelArchive});
 * Keras' {@code .keras} and ONNX plug in the same way. Implementations are found with {@link ServiceLoader}
 * ({@code META-INF/services/dlkit.model.ModelFormat}), so this package depends on no file format.
 */
public interface ModelFormat {
    /** The file-name endings this format reads and writes, such as {@code ".dlk"}. */
    @NonNull List<String> extensions();

    /**
     * Writes {@code model} to {@code path} through a temp file renamed over it; with {@code trainingState}, a
     * checkpoint a fit can resume from (a format that cannot hold one rejects it).
     */
    void save(@NonNull Model model, @NonNull Path path, @Nullable JsonNode trainingState);

    default void save(@NonNull Model model, @NonNull Path path) {
        save(model, path, null);
    }

    /** Reads a model, checking everything a file from a stranger could get wrong. */
    @NonNull Model load(@NonNull Path path);

    /** The training state saved beside the model in a checkpoint, or null for a plain model file. */
    @Nullable JsonNode trainingState(@NonNull Path path);

    /** The format for {@code path}'s name; dlkit's own archive for names no format claims (the native default). */
    static @NonNull ModelFormat forPath(@NonNull Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        ModelFormat fallback = null;
        for (ModelFormat f : Registered.ALL) {
            for (String ext : f.extensions()) {
                if (name.endsWith(ext)) {
                    return f;
                }
                if (ext.equals(".dlk")) {
                    fallback = f;
                }
            }
        }
        if (fallback == null) {
            throw new ModelFileException(path + ": no model file format handles this name, and dlkit's own (.dlk) is not on the classpath"
                    + " (META-INF/services/dlkit.model.ModelFormat)");
        }
        return fallback;
    }

    /** The formats on the classpath, found once. */
    final class Registered {
        static final List<ModelFormat> ALL = ServiceLoader.load(ModelFormat.class, ModelFormat.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get).toList();

        private Registered() {}
    }
}
