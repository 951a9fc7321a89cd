package dlkit.layers;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dlkit.config.Json;
import org.jspecify.annotations.NonNull;

/**
 * Keras' padding modes: {@code valid} (no padding), {@code same} (output size ⌈input / stride⌉) and, for Conv1D only,
 * {@code causal} (all the padding before the sequence, so step t sees steps up to t: WaveNet's convolutions).
 */
public enum Padding {
    VALID,
    SAME,
    CAUSAL;

    /** Rejects {@code causal} for a layer that is not a Conv1D (as Keras does). */
    public static @NonNull Padding requireNotCausal(@NonNull Padding padding) {
        if (padding == CAUSAL) {
            throw new IllegalArgumentException("padding: \"causal\" is for Conv1D only; expected \"valid\" or \"same\"");
        }
        return padding;
    }

    @JsonValue
    public @NonNull String jsonName() {
        return Json.enumName(this);
    }

    @JsonCreator
    public static @NonNull Padding fromJson(@NonNull String name) {
        return Json.enumValue(Padding.class, name, "padding");
    }

    /** Output length along one axis, or a value below 1 when the window does not fit. */
    public int outputLength(int in, int kernel, int stride, int dilation) {
        int effective = dilation * (kernel - 1) + 1;
        return this == VALID ? Math.floorDiv(in - effective, stride) + 1 : (in + stride - 1) / stride;
    }

    /** Padding before the first element (TensorFlow puts any odd pixel after). */
    public int padBefore(int in, int out, int kernel, int stride, int dilation) {
        if (this == VALID) {
            return 0;
        }
        int effective = dilation * (kernel - 1) + 1;
        if (this == CAUSAL) {
            return effective - 1;
        }
        return Math.max(0, (out - 1) * stride + effective - in) / 2;
    }
}
