package dlkit.layers.core;



import dlkit.layers.Activation;
import dlkit.layers.Initializer;
import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.LayerTestKit;
import dlkit.layers.Regularizer;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Dense, Activation and Embedding through the shared layer test. */
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
    void embeddingConfigRoundTrips() {
        LayerTestKit.roundTrip(Embedding.of(7, 3));
    }
}
