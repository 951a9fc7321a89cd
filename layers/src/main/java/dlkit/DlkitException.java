package dlkit;

/** Base of every error dlkit raises; unchecked so Kotlin and Java callers are not forced to catch. */
public class DlkitException extends RuntimeException {
    public DlkitException(String message) {
        super(message);
    }

    public DlkitException(String message, Throwable cause) {
        super(message, cause);
    }
}
