package dlkit.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import org.jspecify.annotations.NonNull;

/** Where images and sequences keep their channels: last, Keras' default and the layout dlkit computes in. */
public enum DataFormat {
    CHANNELS_LAST("channels_last");

    private final String jsonName;

    DataFormat(String jsonName) {
        this.jsonName = jsonName;
    }

    @JsonValue
    public @NonNull String jsonName() {
        return jsonName;
    }

    @JsonCreator
    public static @NonNull DataFormat fromJson(@NonNull String name) {
        if (CHANNELS_LAST.jsonName.equals(name)) {
            return CHANNELS_LAST;
        }
        throw new IllegalArgumentException("only \"channels_last\" is supported, got \"" + name + "\"");
    }
}
