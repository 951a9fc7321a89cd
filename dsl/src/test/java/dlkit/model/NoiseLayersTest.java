package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dlkit.layers.Input;
import dlkit.layers.regularization.GaussianNoise;
import dlkit.loss.Loss;
import dlkit.optim.Sgd;
import dlkit.tensor.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The noise a GaussianNoise layer adds has the declared distribution, and is a function of the step. */
class NoiseLayersTest {
    @Test
    void gaussianNoiseHasMeanZeroAndTheDeclaredDeviation() {
        int n = 1000;
        int width = 200;
        Model m = new Sequential("noise", List.of(Input.of(width), GaussianNoise.of(0.5)), DType.FLOAT64);
        m.compile(Sgd.of(), Loss.MEAN_SQUARED_ERROR);
        m.initialize(1);
        Plan plan = m.plan(n, true);
        double[] x = new double[n * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = i % 7;
        }
        plan.input.put(0, x, 0, x.length);
        plan.forward(n, true, 5);
        double[] y = new double[x.length];
        plan.output.get(0, y, 0, y.length);
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

        plan.forward(n, true, 5);
        double[] again = new double[x.length];
        plan.output.get(0, again, 0, again.length);
        assertArrayEquals(y, again, 0, "same step, same noise");
        plan.forward(n, true, 6);
        plan.output.get(0, again, 0, again.length);
        assertNotEquals(y[0], again[0], "another step, other noise");
    }
}
