package dlkit.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dlkit.config.Json;
import org.jspecify.annotations.NonNull;

/** Where images and sequences keep their channels: last, Keras' default and the layout dlkit computes in. */
public enum DataFormat {
    CHANNELS_LAST;

    @JsonValue
    public @NonNull String jsonName() {
        return Json.enumName(this);
    }

    @JsonCreator
    public static @NonNull DataFormat fromJson(@NonNull String name) {
        if (name.equals("channels_first")) {
            throw new IllegalArgumentException("\"channels_first\" is not supported: dlkit computes channels-last, expected \"channels_last\"");
        }
        return Json.enumValue(DataFormat.class, name, "data_format");
    }
}
