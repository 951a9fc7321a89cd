package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.DlkitException;
import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.Regularizer;
import dlkit.layers.core.Dense;
import dlkit.layers.normalization.BatchNormalization;
import dlkit.loss.Loss;
import dlkit.optim.Adam;
import dlkit.optim.Sgd;
import dlkit.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Frozen layers (Keras' trainable=False): not updated, no penalty, BatchNormalization in inference mode, kept in files. */
class FreezeTest {
    private static Sequential mlp() {
        return Sequential.of(Input.of(5), Dense.of(6).activation(Activation.RELU).kernelRegularizer(Regularizer.l2(0.5)).named("base"),
                BatchNormalization.of().named("bn"), Dense.of(3).activation(Activation.SOFTMAX).named("head"));
    }

    private static ArrayDataset data() {
        INDArray x = ModelTestKit.gaussian(7, 32, 5);
        INDArray y = Nd4j.create(new float[32], new long[] {32, 1});
        for (int i = 0; i < 32; i++) {
            y.putScalar(i, 0, i % 3);
        }
        return ArrayDataset.of(x, y);
    }

    @Test
    void frozenWeightsAndMovingStatisticsStayAsTheyAre() {
        Model m = mlp().initialize(3).freeze("base", "bn");
        assertEquals(List.of("base", "bn"), m.frozenLayers());
        assertEquals(6 * 3 + 3, m.trainableParamCount());
        Map<String, INDArray> before = m.getWeights();
        // per-weight clipping visits the trained weights only
        m.compile(Adam.of(0.05).clipnorm(0.5), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        m.fit(data(), FitOptions.epochs(3).batchSize(8).seed(1));
        Map<String, INDArray> after = m.getWeights();
        for (String k : List.of("base.kernel", "base.bias", "bn.gamma", "bn.beta", "bn.moving_mean", "bn.moving_variance")) {
            assertArrayEquals(before.get(k).data().asFloat(), after.get(k).data().asFloat(), 0f, k + " changed");
        }
        assertFalse(before.get("head.kernel").equalsWithEps(after.get("head.kernel"), 1e-4), "the head trains");
        assertEquals(List.of("head.kernel", "head.bias"), List.copyOf(m.getGradients().keySet()));
    }

    /** Frozen layers still pass gradients down: the trained layers below a frozen one get exact gradients. */
    @Test
    void gradientsFlowThroughFrozenLayers() {
        Model m = Sequential.of(Input.of(4), Dense.of(5).activation(Activation.TANH).named("low"), BatchNormalization.of().named("bn"),
                Dense.of(3).activation(Activation.TANH).kernelRegularizer(Regularizer.l2(0.3)).named("mid"), Dense.of(2).named("out"))
                .withDType(DType.FLOAT64).initialize(5).freeze("bn", "mid");
        m.compile(Sgd.of(), Loss.MEAN_SQUARED_ERROR);
        assertEquals(List.of("low.kernel", "low.bias", "out.kernel", "out.bias"), List.copyOf(m.getGradients().keySet()));
        ModelTestKit.gradientCheck(m, List.of(ModelTestKit.gaussian(1, 6, 4)), List.of(ModelTestKit.gaussian(2, 6, 2)));
    }

    /** A frozen layer's weight penalty leaves the loss, as Keras counts only trainable weights' regularizers. */
    @Test
    void frozenPenaltiesLeaveTheLoss() {
        Model plain = Sequential.of(Input.of(5), Dense.of(6).activation(Activation.RELU).named("base"), Dense.of(3).activation(Activation.SOFTMAX).named("head"))
                .initialize(3);
        Model regularized = Sequential.of(Input.of(5), Dense.of(6).activation(Activation.RELU).kernelRegularizer(Regularizer.l2(0.5)).named("base"),
                Dense.of(3).activation(Activation.SOFTMAX).named("head")).initialize(3);
        Model frozen = regularized.freeze("base");
        INDArray x = ModelTestKit.gaussian(4, 8, 5);
        INDArray y = Nd4j.create(new float[] {0, 1, 2, 0, 1, 2, 0, 1}, new long[] {8, 1});
        for (Model m : List.of(plain, regularized, frozen)) {
            m.compile(Sgd.of(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        }
        double l = plain.computeGradients(x, y);
        assertTrue(regularized.computeGradients(x, y) > l + 1e-3, "the penalty counts while the layer trains");
        assertEquals(l, frozen.computeGradients(x, y), 1e-6);
    }

    @Test
    void frozenLayersRoundTripThroughConfigAndArchive(@TempDir Path dir) {
        Model m = mlp().initialize(3).freeze("bn");
        String json = m.toJson();
        assertTrue(json.contains("\"trainable\" : false") || json.contains("\"trainable\":false"), json);
        assertEquals(List.of("bn"), Model.fromJson(json).frozenLayers());
        m.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        m.fit(data(), FitOptions.epochs(1).batchSize(8).seed(1));
        Path file = dir.resolve("m.dlk");
        m.save(file);
        Model back = Model.load(file);
        assertEquals(List.of("bn"), back.frozenLayers());
        assertEquals(m.trainableParamCount(), back.trainableParamCount());
        back.fit(data(), FitOptions.epochs(1).batchSize(8).seed(2));
        assertEquals(List.of("base"), m.unfreeze("bn").freeze("base").frozenLayers());
        // an unnamed layer of a Sequential config is frozen under the name the model gives it
        Model fromConfig = Model.fromJson("{\"format\": \"dlkit-model\", \"version\": 1, \"type\": \"Sequential\", \"layers\": ["
                + "{\"type\": \"Input\", \"shape\": [3]}, {\"type\": \"Dense\", \"units\": 2, \"trainable\": false}, {\"type\": \"Dense\", \"units\": 1}]}");
        assertEquals(List.of(fromConfig.layers().get(1).name()), fromConfig.frozenLayers());
        assertEquals(3, fromConfig.trainableParamCount());
    }

    @Test
    void badFreezesAreNamed() {
        DlkitException e = assertThrows(DlkitException.class, () -> mlp().freeze("nope"));
        assertTrue(e.getMessage().contains("no layer [nope] to freeze") && e.getMessage().contains("base"), e.getMessage());
        ConfigException c = assertThrows(ConfigException.class, () -> Model.fromJson("{\"format\": \"dlkit-model\", \"version\": 1, \"type\": \"Sequential\", "
                + "\"layers\": [{\"type\": \"Input\", \"shape\": [3]}, {\"type\": \"Dense\", \"units\": 2, \"trainable\": \"no\"}]}"));
        assertTrue(c.getMessage().contains("layers[1].trainable") && c.getMessage().contains("expected true or false"), c.getMessage());
    }
}
