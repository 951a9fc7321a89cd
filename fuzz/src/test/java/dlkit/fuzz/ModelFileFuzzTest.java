package dlkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dlkit.io.Safetensors;
import dlkit.model.Checkpoint;
import dlkit.model.Model;

/** Model files from strangers: the .dlk archive (zip, model.json, safetensors, training.json) and safetensors alone. */
class ModelFileFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void archive(byte[] data) {
        Hostile.withFile("fuzz.dlk", data, file -> {
            Hostile.expectCleanErrorsOnly(() -> Model.load(file).getWeights());
            Hostile.expectCleanErrorsOnly(() -> Checkpoint.info(file));
        });
    }

    @FuzzTest(maxDuration = "60s")
    void safetensors(byte[] data) {
        Hostile.expectCleanErrorsOnly(() -> Safetensors.read(data, "fuzz.safetensors"));
    }
}
