package dlkit.cli;

import dlkit.ConfigException;
import dlkit.plot.ConfusionMatrixImage;
import dlkit.config.Json;
import dlkit.data.ArrayDataset;
import dlkit.data.NamedDatasets;
import dlkit.model.Model;
import dlkit.layers.preprocessing.Preprocessing;
import dlkit.run.Preprocessors;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "evaluate", mixinStandardHelpOptions = true, description = {
        "Loss and metrics of a saved model on a data set.",
        "A model trained by dl train normalises raw data itself; --normalize serves archives made before that."})
final class EvaluateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "A .dlk or .keras model file.")
    Path model;

    @Option(names = "--data", required = true, paramLabel = "CONFIG_OR_DATASET",
            description = "A run config (.json: its test split, else validation, else train) or a named data set (fashion-mnist, mnist, digits: its test split).")
    String data;

    @Option(names = "--normalize", defaultValue = "none", description = "For a named data set: none, scale or standardize (statistics from its train split).")
    String normalize;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--confusion-matrix", paramLabel = "FILE.png", description = "Also draw the confusion matrix (classifiers).")
    Path confusionPng;

    @Override
    public Integer call() throws Exception {
        Model m = Model.load(model);
        ArrayDataset d = data.endsWith(".json") ? fromConfig(Path.of(data), m) : named(m);
        Map<String, Double> r = m.evaluate(d);
        if (confusionPng != null) {
            ConfusionMatrixImage.write(m.confusionMatrix(d), NamedDatasets.classNames(datasetName()), confusionPng);
        }
        if (json) {
            System.out.println(Json.MAPPER.writeValueAsString(r).replaceAll("\\s*\\n\\s*", " "));
        } else {
            r.forEach((k, v) -> System.out.printf(Locale.ROOT, "%s: %.4f%n", k, v));
            if (confusionPng != null) {
                System.out.println("wrote " + confusionPng);
            }
        }
        return 0;
    }

    /** The named data set behind --data, for class names: directly, or a config's training source. */
    String datasetName() {
        if (!data.endsWith(".json")) {
            return data;
        }
        return RunConfig.read(Path.of(data)).data().train().path("type").asText();
    }

    ArrayDataset fromConfig(Path file, Model m) {
        Run run = Run.prepare(RunConfig.read(file));
        ArrayDataset d = run.test() != null ? run.test() : run.train();
        // An archive from before preprocessing travelled inside models: normalise its data as its run did.
        return run.preprocessing() != null && !Preprocessors.takesRawData(m) ? Run.fit(m, d, "--data").preprocessed(run.preprocessing()) : d;
    }

    ArrayDataset named(Model m) {
        if (!NamedDatasets.NAMES.contains(data)) {
            throw new ConfigException("--data", "expected a run config (.json) or one of " + NamedDatasets.NAMES + ", got \"" + data + "\"");
        }
        ArrayDataset test = Run.fit(m, NamedDatasets.load(data, "test"), "--data " + data);
        if (normalize.equals("none")) {
            return test;
        }
        if (Preprocessors.takesRawData(m)) {
            throw new ConfigException("--normalize", "model '" + m.name() + "' normalises its input itself (layer '" + m.layers().get(1).name()
                    + "'); evaluate it on raw data, without --normalize");
        }
        Preprocessing<?, ?, ?> pre = Preprocessors.forMode(normalize, NamedDatasets.load(data, "train"), m.inputShape());
        return pre == null ? test : test.preprocessed(pre);
    }
}
