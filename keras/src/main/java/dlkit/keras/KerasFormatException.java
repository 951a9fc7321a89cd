package dlkit.keras;

import dlkit.ModelFileException;

/** A Keras file dlkit cannot read or a model it cannot write as Keras: the message names the file, layer and setting. */
public class KerasFormatException extends ModelFileException {
    public KerasFormatException(String message) {
        super(message);
    }

    public KerasFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
