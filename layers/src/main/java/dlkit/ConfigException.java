package dlkit;

import org.jspecify.annotations.Nullable;

/** A configuration that cannot be used; {@link #path()} is the JSON path ({@code model.layers[3].units}). */
public class ConfigException extends DlkitException {
    private final @Nullable String path;
    private final String detail;

    public ConfigException(@Nullable String path, String detail) {
        super(path == null || path.isEmpty() ? detail : path + ": " + detail);
        this.path = path;
        this.detail = detail;
    }

    public ConfigException(@Nullable String path, String detail, Throwable cause) {
        super(path == null || path.isEmpty() ? detail : path + ": " + detail, cause);
        this.path = path;
        this.detail = detail;
    }

    /** For messages of the form "key: what was wrong" (record constructors), the key joins the path. */
    public static ConfigException folded(@Nullable String path, String message, @Nullable Throwable cause) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^([a-z_0-9]+): (.*)$", java.util.regex.Pattern.DOTALL).matcher(String.valueOf(message));
        if (m.matches()) {
            String p = path == null || path.isEmpty() ? m.group(1) : path + "." + m.group(1);
            return new ConfigException(p, m.group(2), cause);
        }
        return new ConfigException(path, message, cause);
    }

    public @Nullable String path() {
        return path;
    }

    public String detail() {
        return detail;
    }

    /** The same error one level deeper: {@code prefix} is prepended to the path. */
    public ConfigException under(String prefix) {
        String p = path == null || path.isEmpty() ? prefix : path.startsWith("[") ? prefix + path : prefix + "." + path;
        return new ConfigException(p, detail, this);
    }
}
