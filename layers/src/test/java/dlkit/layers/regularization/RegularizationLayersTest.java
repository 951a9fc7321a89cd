package dlkit.layers.regularization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.LayerTestKit;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Dropout, GaussianNoise and ActivityRegularization through the shared layer test; the noise GaussianNoise adds has the declared distribution and is a function of the step. */
class RegularizationLayersTest {
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
    void gaussianNoiseHasMeanZeroAndTheDeclaredDeviation() {
        int n = 1000;
        int width = 200;
        GaussianNoise noise = GaussianNoise.of(0.5).named("noise");
        double[] x = new double[n * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7;
        }
        double[] y = LayerTestKit.forward(noise, Shape.of(width), x, true, 5);
        double sum = 0;
        double sq = 0;
        double fourth = 0;
        for (int i = 0; i < x.length; i++) {
            double e = y[i] - x[i];
            sum += e;
            sq += e * e;
            fourth += e * e * e * e;
        }
        double mean = sum / x.length;
        double var = sq / x.length - mean * mean;
        // 200,000 draws: the standard error of the mean is 0.5/447 ≈ 0.0011, of the deviation ≈ 0.0008.
        assertEquals(0, mean, 0.005);
        assertEquals(0.5, Math.sqrt(var), 0.004);
        // Normal, not uniform: the fourth moment is 3σ⁴.
        assertEquals(3 * Math.pow(0.25, 2), fourth / x.length, 0.01);

        double[] again = LayerTestKit.forward(noise, Shape.of(width), x, true, 5);
        assertArrayEquals(y, again, 0, "same step, same noise");
        again = LayerTestKit.forward(noise, Shape.of(width), x, true, 6);
        assertNotEquals(y[0], again[0], "another step, other noise");
    }
}
