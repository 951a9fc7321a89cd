package dlkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dlkit.keras.KerasFormat;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.model.Model;
import dlkit.model.Sequential;
import java.nio.charset.StandardCharsets;

/** Keras files from strangers: the .keras zip, the model JSON (config.json, to_json()) and a .weights.h5 (HDF5). */
class KerasFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void keras(byte[] data) {
        Hostile.withFile("fuzz.keras", data, file -> Hostile.expectCleanErrorsOnly(() -> Model.load(file).getWeights()));
    }

    @FuzzTest(maxDuration = "60s")
    void kerasJson(byte[] data) {
        Hostile.expectCleanErrorsOnly(() -> KerasFormat.fromJson(new String(data, StandardCharsets.UTF_8), "fuzz.json").getWeights());
    }

    /** HDF5 bytes loaded as the weights of the seed's architecture (Keras' mlp fixture: 6 → Dense 8 → Dense 4). */
    @FuzzTest(maxDuration = "60s")
    void weightsH5(byte[] data) {
        Model model = Sequential.of(Input.of(6), Dense.of(8), Dense.of(4));
        Hostile.withFile("fuzz.weights.h5", data, file -> Hostile.expectCleanErrorsOnly(() -> KerasFormat.loadWeights(model, file)));
    }
}
