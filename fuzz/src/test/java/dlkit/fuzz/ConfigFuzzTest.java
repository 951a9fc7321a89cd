package dlkit.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.run.RunConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The JSON readers: a run config (every section, the model built and compiled) and a model config. */
class ConfigFuzzTest {
    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "config.dict")
    void runConfig(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Hostile.expectCleanErrorsOnly(() -> {
            RunConfig rc = RunConfig.fromJson(text, Path.of("fuzz.json"));
            Model m = ModelConfig.fromNode(rc.model(), "model");
            ModelConfig.applyCompile(m, rc.compile(), "compile");
        });
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "config.dict")
    void modelConfig(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Hostile.expectCleanErrorsOnly(() -> Model.fromJson(text).toJson());
    }
}
