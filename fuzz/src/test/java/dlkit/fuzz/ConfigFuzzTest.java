package dlkit.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dlkit.model.Model;
import dlkit.model.ModelConfig;
import dlkit.run.RunConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The JSON readers: a run config (every section, the model built and compiled), its tune section (the space checked
 * in the config as dl tune and dl validate do, then settings drawn and applied), and a model config.
 */
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
    void tuneSection(byte[] data) {
        Hostile.withFile("fuzz.json", data, file -> Hostile.expectCleanErrorsOnly(() -> {
            dlkit.tune.TuneConfig t = dlkit.tune.Tuner.check(file, null);
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            var values = t.algorithm().equals("grid") ? dlkit.tune.Sampler.GRID.sample(t.space(), java.util.List.of(),
                    (int) Math.min(dlkit.tune.Sampler.gridSize(t.space()) - 1, Integer.MAX_VALUE), r) : dlkit.tune.Sampler.RANDOM.sample(t.space(), java.util.List.of(), 0, r);
            if (values.isEmpty()) {
                throw new AssertionError("a space with settings drew none");
            }
        }));
    }

    @FuzzTest(maxDuration = "60s")
    @DictionaryFile(resourcePath = "config.dict")
    void modelConfig(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Hostile.expectCleanErrorsOnly(() -> Model.fromJson(text).toJson());
    }
}
