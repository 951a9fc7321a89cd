package example;

import dlkit.callbacks.EarlyStopping;
import dlkit.data.ArrayDataset;
import dlkit.data.NamedDatasets;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.layers.preprocessing.Rescaling;
import dlkit.layers.regularization.Dropout;
import dlkit.layers.reshaping.Flatten;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.model.FitOptions;
import dlkit.model.History;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.optim.Adam;
import dlkit.plot.TrainingCurves;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Trains an MLP on the 8×8 digits that ship inside dlkit, saves it, loads it back and checks both agree. */
public final class DigitsApp {
    public static void main(String[] args) throws IOException {
        ArrayDataset train = NamedDatasets.load("digits", "train");
        ArrayDataset test = NamedDatasets.load("digits", "test");

        // The scaling is the model's first layer, so the saved file takes raw pixels like the training data.
        Model model = Sequential.of(
                Input.of(8, 8),
                Rescaling.fitRange(train),
                Flatten.of(),
                Dense.of(64).activation(Activation.RELU),
                Dropout.of(0.1),
                Dense.of(10).activation(Activation.SOFTMAX));
        model.compile(Adam.of(3e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        History history = model.fit(train, FitOptions.epochs(30).batchSize(32).validationSplit(0.1).seed(7)
                .callbacks(new EarlyStopping().monitor("val_loss").patience(5).restoreBestWeights(true)));
        Map<String, Double> metrics = model.evaluate(test);
        System.out.printf("digits: %d epochs, test accuracy %.4f, test loss %.4f%n",
                history.epochs().size(), metrics.get("accuracy"), metrics.get("loss"));

        Path out = Files.createDirectories(Path.of("target", "digits-run"));
        model.save(out.resolve("digits.dlk"));
        TrainingCurves.write(history.asMap(), out);
        Model again = Model.load(out.resolve("digits.dlk"));
        INDArray x = test.featuresArray();
        if (!model.predict(x).equals(again.predict(x))) {
            throw new IllegalStateException("the loaded model predicts differently from the saved one");
        }
        if (metrics.get("accuracy") < 0.9) {
            throw new IllegalStateException("test accuracy " + metrics.get("accuracy") + " below 0.9");
        }
        System.out.println("saved, loaded and predicted identically: " + out.resolve("digits.dlk"));
    }
}
