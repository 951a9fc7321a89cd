package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.DlkitException;
import dlkit.data.ArrayDataset;
import dlkit.data.NamedDatasets;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.layers.preprocessing.Rescaling;
import dlkit.layers.regularization.ActivityRegularization;
import dlkit.layers.regularization.GaussianNoise;
import dlkit.layers.reshaping.Flatten;
import dlkit.layers.reshaping.Reshape;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.optim.Adam;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Autoencoders as ordinary models, their encoder and decoder as sub-models, and greedy layer-wise pretraining. */
class AutoencoderTest {
    private static ArrayDataset digits(String split) {
        ArrayDataset train = NamedDatasets.load("digits", "train");
        return NamedDatasets.load("digits", split).preprocessed(Rescaling.fitRange(train));
    }

    private static Model autoencoder(boolean denoising, boolean sparse) {
        Input x = Input.of(8, 8).named("image");
        var h = Flatten.of().apply(x);
        if (denoising) {
            h = GaussianNoise.of(0.2).named("noise").apply(h);
        }
        var code = Dense.of(12).activation(Activation.RELU).named("code").apply(Dense.of(32).activation(Activation.RELU).named("enc").apply(h));
        var c = sparse ? ActivityRegularization.of(0, 1e-3).named("sparsity").apply(code) : code;
        var out = Reshape.of(8, 8).named("reconstruction").apply(
                Dense.of(64).activation(Activation.SIGMOID).named("dec_out").apply(Dense.of(32).activation(Activation.RELU).named("dec").apply(c)));
        return Model.of(x, out);
    }

    @Test
    void autoencodersLearnToReconstructAndSplitIntoEncoderAndDecoder() {
        ArrayDataset train = digits("train").autoencoding();
        ArrayDataset test = digits("test").autoencoding();
        for (boolean[] variant : new boolean[][] {{false, false}, {true, false}, {false, true}}) {
            Model ae = autoencoder(variant[0], variant[1]);
            ae.compile(Adam.of(0.005), Loss.MEAN_SQUARED_ERROR, Metric.MAE);
            ae.initialize(1);
            double before = ae.evaluate(test).get("loss");
            ae.fit(train, FitOptions.epochs(40).batchSize(32).seed(1L));
            double after = ae.evaluate(test).get("loss");
            // Pixels in [0, 1]: predicting the mean image scores ~0.09; the trained code does far better.
            assertTrue(after < 0.035 && after < before / 3, "variant " + java.util.Arrays.toString(variant) + ": " + before + " -> " + after);
            Model encoder = ae.subModel("image", "code");
            Model decoder = ae.subModel("code", "reconstruction");
            assertEquals(List.of("code_input"), decoder.inputNames());
            INDArray x = test.slice(0, 20).featuresArray();
            INDArray codes = encoder.predict(x);
            assertEquals(12, codes.size(1));
            INDArray direct = ae.predict(x);
            INDArray twoStep = decoder.predict(codes);
            assertEquals(0, direct.sub(twoStep).amaxNumber().doubleValue(), 1e-6);
        }
    }

    @Test
    void subModelsRejectTensorsOutsideTheGraph() {
        Model ae = autoencoder(false, false);
        ae.initialize(1);
        DlkitException unknown = assertThrows(DlkitException.class, () -> ae.subModel("image", "nope"));
        assertTrue(unknown.getMessage().contains("no tensor \"nope\""), unknown.getMessage());
        DlkitException cut = assertThrows(DlkitException.class, () -> ae.subModel("code", "enc"));
        assertTrue(cut.getMessage().contains("does not follow from the inputs"), cut.getMessage());
    }

    private static Sequential classifier() {
        return new Sequential("mlp", List.of(Input.of(8, 8), Flatten.of(), Dense.of(32).activation(Activation.RELU).named("h1"),
                Dense.of(16).activation(Activation.RELU).named("h2"), Dense.of(10).activation(Activation.SOFTMAX).named("out")),
                dlkit.tensor.DType.FLOAT32);
    }

    @Test
    void layerwisePretrainingTrainsEachHiddenLayerAndLeavesTheClassifier() {
        ArrayDataset unlabeled = digits("train");
        Sequential m = classifier();
        m.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
        m.initialize(3);
        Map<String, INDArray> before = m.getWeights();
        List<Pretraining.LayerResult> one = Pretraining.greedyLayerwise(classifier().compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY).initialize(3),
                unlabeled, Pretraining.Options.defaults().withEpochs(1).withBatchSize(64).withOptimizer(Adam.of(0.005)));
        List<Pretraining.LayerResult> results = Pretraining.greedyLayerwise(m, unlabeled,
                Pretraining.Options.defaults().withEpochs(20).withBatchSize(64).withOptimizer(Adam.of(0.005)).withNoise(0.1));
        assertEquals(List.of("h1", "h2"), results.stream().map(Pretraining.LayerResult::layer).toList());
        assertEquals(64, results.get(0).inputs());
        assertEquals(32, results.get(1).inputs());
        Map<String, INDArray> after = m.getWeights();
        assertNotEquals(before.get("h1.kernel"), after.get("h1.kernel"));
        assertNotEquals(before.get("h2.kernel"), after.get("h2.kernel"));
        assertEquals(before.get("out.kernel"), after.get("out.kernel"));
        // Longer pretraining reconstructs each layer's input better (mean squared error).
        for (int i = 0; i < 2; i++) {
            assertTrue(results.get(i).loss() < one.get(i).loss() * 0.8, results.get(i) + " vs " + one.get(i));
        }
        DlkitException notDense = assertThrows(DlkitException.class, () -> Pretraining.greedyLayerwise(classifier().initialize(1), unlabeled,
                Pretraining.Options.defaults().withLayers(List.of("flatten"))));
        assertTrue(notDense.getMessage().contains("'flatten' is a Flatten"), notDense.getMessage());
    }

    @Test
    void nestedEncoderAndDecoderModelsTrainInsideAnAutoencoderAndShareWeightsWhenReused() {
        Input x = Input.of(8, 8).named("pixels");
        Model encoder = Model.of(x, Dense.of(10).activation(Activation.RELU).named("enc_code").apply(
                Dense.of(24).activation(Activation.RELU).named("enc_hidden").apply(Flatten.of().named("enc_flat").apply(x)))).named("encoder");
        Input c = Input.of(10).named("code_in");
        Model decoder = Model.of(c, Reshape.of(8, 8).named("dec_image").apply(
                Dense.of(64).activation(Activation.SIGMOID).named("dec_out").apply(c))).named("decoder");
        Input img = Input.of(8, 8).named("img");
        Model ae = Model.of(img, decoder.apply(encoder.apply(img)));
        assertEquals(encoder.paramCount() + decoder.paramCount(), ae.paramCount());
        ae.compile(Adam.of(0.01), Loss.MEAN_SQUARED_ERROR);
        ArrayDataset train = digits("train").autoencoding();
        ae.fit(train, FitOptions.epochs(15).batchSize(32).seed(2L));
        assertTrue(ae.evaluate(train).get("loss") < 0.04, ae.evaluate(train).toString());
        encoder.setWeightsFrom(ae);
        decoder.setWeightsFrom(ae);
        INDArray xs = digits("test").slice(0, 16).featuresArray();
        assertEquals(0, ae.predict(xs).sub(decoder.predict(encoder.predict(xs))).amaxNumber().doubleValue(), 1e-6);
        // The same encoder on two inputs: one set of weights.
        Input other = Input.of(8, 8).named("other");
        Model twin = Model.of(List.of(img, other), List.of(dlkit.layers.merge.Subtract.of().apply(encoder.apply(img), encoder.apply(other))));
        assertEquals(encoder.paramCount(), twin.paramCount());
        twin.setWeightsFrom(encoder);
        INDArray same = twin.predict(List.of(xs, xs)).get(0);
        assertEquals(0, same.amaxNumber().doubleValue(), 0);
    }
}
