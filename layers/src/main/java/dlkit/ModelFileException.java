package dlkit;

/** A model, weights or archive file that cannot be read; the message names the file and what is wrong with it. */
public class ModelFileException extends DlkitException {
    public ModelFileException(String message) {
        super(message);
    }

    public ModelFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
