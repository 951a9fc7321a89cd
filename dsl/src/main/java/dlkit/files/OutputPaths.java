package dlkit.files;

import dlkit.ConfigException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import org.jspecify.annotations.NonNull;

/**
 * Paths a config file names for output. A config is a file teams hand each other, so what it asks to write stays
 * inside the run's output directory: absolute paths and {@code ..} are errors at the JSON path. (Paths a user types
 * on the command line are theirs to choose and do not come through here.)
 */
public final class OutputPaths {
    private OutputPaths() {}

    /** {@code given} resolved inside {@code dir}; an error at {@code jsonPath} if it is absolute or climbs out. */
    public static @NonNull Path inside(@NonNull Path dir, @NonNull String given, @NonNull String jsonPath) {
        Path p = parse(given, jsonPath);
        Path base = dir.toAbsolutePath().normalize();
        Path resolved = base.resolve(p).normalize();
        if (p.isAbsolute() || !resolved.startsWith(base)) {
            throw new ConfigException(jsonPath, "\"" + given + "\" is outside the output directory; a config may only write inside it"
                    + " (give a relative path without \"..\"; choose the directory itself with --output)");
        }
        return dir.resolve(p).normalize();
    }

    /** A plain name for a file or directory (a run's name): no separators, not "." or "..", not empty. */
    public static @NonNull String name(@NonNull String given, @NonNull String jsonPath) {
        if (given.isBlank() || given.equals(".") || given.equals("..") || given.contains("/") || given.contains("\\")
                || given.chars().anyMatch(c -> c < 0x20)) {
            throw new ConfigException(jsonPath, "\"" + given + "\" is not a plain name (no \"/\", \"\\\", \"..\" or control characters):"
                    + " it names the run's directory under runs/");
        }
        parse(given, jsonPath);
        return given;
    }

    private static Path parse(String given, String jsonPath) {
        try {
            return Path.of(given);
        } catch (InvalidPathException e) {
            throw new ConfigException(jsonPath, "\"" + given.replace("\0", "\\0") + "\" is not a valid path: " + e.getReason());
        }
    }
}
