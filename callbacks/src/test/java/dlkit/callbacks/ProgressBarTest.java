package dlkit.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.model.FitOptions;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.optim.Sgd;
import dlkit.tensor.Shape;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void printsOneLinePerEpochWithoutATerminal() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Model m = Sequential.of(Input.of(2), Dense.of(2).activation(Activation.SOFTMAX));
        m.compile(Sgd.of(0.1), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        ArrayDataset d = new ArrayDataset(new float[] {0, 1, 1, 0, 0, 1, 1, 0, 1, 1}, Shape.of(2), new float[] {0, 1, 0, 1, 1}, 1);
        m.fit(d, FitOptions.epochs(2).batchSize(2).seed(1).validationSplit(0.4)
                .callbacks(new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false)));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals(4, lines.length, String.join("\n", lines));
        assertEquals("Epoch 1/2", lines[0]);
        assertTrue(lines[1].matches("2/2 ━{20} \\d+s \\d+(us|ms)/step - loss: \\d\\.\\d{4} - accuracy: \\d\\.\\d{4} - val_loss: \\d\\.\\d{4} - val_accuracy: \\d\\.\\d{4}"), lines[1]);
        assertEquals("Epoch 2/2", lines[2]);
    }

    @Test
    void aShorterRedrawCoversTheLongerLineBeforeIt() {
        ProgressBar bar = new ProgressBar(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), true);
        assertEquals("12/100 ETA 10s", bar.over("12/100 ETA 10s"));
        assertEquals("13/100 ETA 9s ", bar.over("13/100 ETA 9s"));
        assertEquals("14/100 ETA 8s", bar.over("14/100 ETA 8s"));
    }
}
