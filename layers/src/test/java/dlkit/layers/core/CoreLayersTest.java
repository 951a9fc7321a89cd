package dlkit.layers.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void denseOnOneDnnMatchesThePortablePath() {
        // Large enough for the oneDNN path (≥ 2^26 multiply-adds at the kit's batch of 5): 2048 rows of 64 per sample.
        assertTrue(5L * 2048 * 64 * 128 >= DnnlDense.MIN_MULTIPLY_ADDS);
        LayerTestKit.fastPathMatchesPortable(Dense.of(128).activation(Activation.RELU), Shape.of(2048, 64));
        LayerTestKit.fastPathMatchesPortable(Dense.of(160).useBias(false).kernelRegularizer(Regularizer.l1l2(0.01, 0.02)), Shape.of(2048, 64));
        LayerTestKit.fastPathMatchesPortable(Dense.of(130).activation(Activation.SIGMOID), Shape.of(2048, 64));
        LayerTestKit.fastPathMatchesPortable(Dense.of(128).activation(Activation.GELU), Shape.of(2, 1024, 64));
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
