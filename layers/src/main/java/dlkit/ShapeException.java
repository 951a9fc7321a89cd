package dlkit;

/** A shape that does not fit, found at build time; the message names the layers and shapes involved. */
public class ShapeException extends DlkitException {
    public ShapeException(String message) {
        super(message);
    }
}
