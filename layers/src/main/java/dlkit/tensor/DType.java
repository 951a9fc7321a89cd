package dlkit.tensor;

import com.fasterxml.jackson.annotation.JsonValue;
import org.nd4j.linalg.api.buffer.DataType;

/** Floating-point precision of a compiled model. float32 trains; float64 serves gradient checks and exact inference. */
public enum DType {
    FLOAT32("float32", DataType.FLOAT, 4, "F32"),
    FLOAT64("float64", DataType.DOUBLE, 8, "F64");

    private final String jsonName;
    private final DataType nd4j;
    private final int bytes;
    private final String safetensorsName;

    DType(String jsonName, DataType nd4j, int bytes, String safetensorsName) {
        this.jsonName = jsonName;
        this.nd4j = nd4j;
        this.bytes = bytes;
        this.safetensorsName = safetensorsName;
    }

    @JsonValue
    public String jsonName() {
        return jsonName;
    }

    public DataType nd4j() {
        return nd4j;
    }

    public int bytes() {
        return bytes;
    }

    public String safetensorsName() {
        return safetensorsName;
    }
}
