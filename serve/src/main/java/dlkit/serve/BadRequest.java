package dlkit.serve;

/** A request the server answers with {@code status} and {@code {"error": message}}; never a stack trace. */
final class BadRequest extends RuntimeException {
    final int status;

    BadRequest(String message) {
        this(400, message);
    }

    BadRequest(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }
}
