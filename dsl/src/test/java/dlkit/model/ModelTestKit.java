package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dlkit.tensor.Buf;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Checks on whole models (layers on their own: dlkit.layers.LayerTestKit): central-difference gradient checks through
 * {@link Model#computeGradients}, a plan's forward pass, and fixed Gaussian test data.
 */
public final class ModelTestKit {
    private ModelTestKit() {}

    public static double[] forward(Plan plan, double[] x, int n, boolean training, int outSize) {
        plan.input.put(0, x, 0, x.length);
        plan.forward(n, training, 7);
        double[] out = new double[n * outSize];
        plan.output.get(0, out, 0, out.length);
        return out;
    }

    /**
     * Central differences on every trainable weight of a (float64) model with any number of inputs and outputs,
     * through {@link Model#computeGradients(List, List)}.
     */
    public static void gradientCheck(Model m, List<INDArray> xs, List<INDArray> ys) {
        m.computeGradients(xs, ys);
        Buf grads = m.gradientBuffer();
        Buf params = m.parameterBuffer();
        int count = (int) m.trainableParamCount();
        double[] analytic = new double[count];
        grads.get(0, analytic, 0, count);
        double eps = 1e-6;
        for (int i = 0; i < count; i++) {
            double w = params.get(i);
            params.set(i, w + eps);
            double up = m.computeGradients(xs, ys);
            params.set(i, w - eps);
            double down = m.computeGradients(xs, ys);
            params.set(i, w);
            double numeric = (up - down) / (2 * eps);
            assertEquals(numeric, analytic[i], 1e-7 + 1e-6 * Math.abs(numeric), "weight " + i);
        }
    }

    /** A float64 array of standard normal draws, fixed by the seed. */
    public static INDArray gaussian(long seed, long... shape) {
        SplittableRandom r = new SplittableRandom(seed);
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        return org.nd4j.linalg.factory.Nd4j.create(v, shape, 'c');
    }
}
