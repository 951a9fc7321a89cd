package dlkit;

import org.jspecify.annotations.Nullable;

/**
 * A model, batch or data set too large for this JVM (or a size that overflows), found before anything was
 * allocated. {@link #layer()} and {@link #layerIndex()} name the layer it comes from when there is one (its position
 * in the model's layer list), so a config reader can point at it.
 */
public class ResourceException extends DlkitException {
    private final @Nullable String layer;
    private final int layerIndex;

    public ResourceException(String message) {
        this(message, null, -1);
    }

    public ResourceException(String message, @Nullable String layer, int layerIndex) {
        super(message);
        this.layer = layer;
        this.layerIndex = layerIndex;
    }

    public @Nullable String layer() {
        return layer;
    }

    /** The layer's index in the model's layer list, or -1. */
    public int layerIndex() {
        return layerIndex;
    }
}
