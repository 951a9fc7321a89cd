package dlkit.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.ShapeException;
import dlkit.config.Json;
import dlkit.layers.core.ActivationLayer;
import dlkit.layers.core.Dense;
import dlkit.layers.registry.LayerRegistry;
import dlkit.layers.regularization.ActivityRegularization;
import dlkit.layers.regularization.Dropout;
import dlkit.layers.regularization.GaussianNoise;
import dlkit.layers.reshaping.Flatten;
import dlkit.layers.reshaping.Reshape;
import dlkit.model.LayerTestKit;
import dlkit.model.LayerTestKit.Expect;
import dlkit.model.Sequential;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every core layer through the shared layer test, plus the errors a user meets first. */
class CoreLayersTest {
    @ParameterizedTest
    @EnumSource(Activation.class)
    void denseWithEveryActivation(Activation act) {
        LayerTestKit.run(Dense.of(4).activation(act), Shape.of(5), new Expect(Shape.of(4), 5 * 4 + 4, false));
    }

    @Test
    void denseWithoutBiasAndWithRegularizers() {
        LayerTestKit.run(Dense.of(4).useBias(false).kernelRegularizer(Regularizer.l1l2(0.01, 0.02)), Shape.of(5), new Expect(Shape.of(4), 20, false));
        LayerTestKit.run(Dense.of(4).biasRegularizer(Regularizer.l2(0.1)).biasInitializer(Initializer.constant(0.3)), Shape.of(5), new Expect(Shape.of(4), 24, false));
    }

    @Test
    void denseOnRank3InputActsOnTheLastAxis() {
        LayerTestKit.run(Dense.of(2).activation(Activation.TANH), Shape.of(3, 4), new Expect(Shape.of(3, 2), 4 * 2 + 2, false));
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationLayer(Activation act) {
        LayerTestKit.run(ActivationLayer.of(act), Shape.of(5), new Expect(Shape.of(5), 0, false));
    }

    @Test
    void dropoutIsStochasticOnlyInTraining() {
        LayerTestKit.run(Dropout.of(0.4), Shape.of(6), new Expect(Shape.of(6), 0, true));
        LayerTestKit.run(Dropout.of(0.0), Shape.of(6), new Expect(Shape.of(6), 0, false));
    }

    @Test
    void gaussianNoiseIsStochasticOnlyInTraining() {
        LayerTestKit.run(GaussianNoise.of(0.3), Shape.of(6), new Expect(Shape.of(6), 0, true));
        LayerTestKit.run(GaussianNoise.of(0), Shape.of(6), new Expect(Shape.of(6), 0, false));
    }

    @Test
    void activityRegularizationAddsItsPenaltyAndGradient() {
        // The kit's finite differences include the penalty, so this checks l1·sign(y) + 2·l2·y in the backward pass.
        LayerTestKit.run(ActivityRegularization.of(0.01, 0.02), Shape.of(5), new Expect(Shape.of(5), 0, false));
        LayerTestKit.run(ActivityRegularization.of(0, 0.5), Shape.of(2, 3), new Expect(Shape.of(2, 3), 0, false));
    }

    @Test
    void flattenAndReshape() {
        LayerTestKit.run(Flatten.of(), Shape.of(2, 3), new Expect(Shape.of(6), 0, false));
        LayerTestKit.run(Reshape.of(3, -1), Shape.of(6), new Expect(Shape.of(3, 2), 0, false));
        LayerTestKit.run(Reshape.of(2, 3), Shape.of(3, 2), new Expect(Shape.of(2, 3), 0, false));
    }

    @Test
    void shapeErrorsNameBothLayersAndShapes() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> Sequential.of(Input.of(28, 28), Flatten.of(), Reshape.of(27, 28)));
        assertTrue(e.getMessage().contains("'reshape'") && e.getMessage().contains("'flatten'") && e.getMessage().contains("784"), e.getMessage());
        assertTrue(e.getMessage().contains("(None, 784)"), e.getMessage());
    }

    @Test
    void badConfigValuesNameTheKey() {
        var node = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", -4);
        ConfigException e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(node, "model.layers[3]"));
        assertEquals("model.layers[3].units: expected a positive integer, got -4", e.getMessage());
        var typo = Json.MAPPER.createObjectNode().put("type", "Dens").put("units", 4);
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(typo, "model.layers[1]"));
        assertEquals("model.layers[1].type: unknown layer type \"Dens\"; did you mean \"Dense\"?", e.getMessage());
        var unknownKey = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", 4).put("unit", 3);
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(unknownKey, "l"));
        assertTrue(e.getMessage().startsWith("l.unit: unknown key for layer type \"Dense\"; did you mean \"units\"?"), e.getMessage());
        var wrongType = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", "many");
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(wrongType, "l"));
        assertTrue(e.getMessage().startsWith("l.units: expected an integer"), e.getMessage());
        var badAct = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", 2).put("activation", "relux");
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(badAct, "l"));
        assertTrue(e.getMessage().contains("activation") && e.getMessage().contains("relux"), e.getMessage());
    }
}
