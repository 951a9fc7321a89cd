package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.core.Dense;
import dlkit.layers.registry.LayerRegistry;
import dlkit.loss.Loss;
import dlkit.optim.Sgd;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The one test every layer passes (Keras' run_layer_test): output shape, parameter count, training vs inference
 * behaviour, config round-trip, and a float64 gradient check of the whole backward pass against central finite
 * differences. The layer sits between two Dense layers so its input gradient is checked through the first one.
 */
public final class LayerTestKit {
    private LayerTestKit() {}

    public record Expect(Shape outputShape, long params, boolean stochasticInTraining) {}

    public static void run(Layer layer, Shape input, Expect expect) {
        roundTrip(layer);
        Model m = new Sequential("kit", List.of(Input.of(input.dims()), Dense.of(input.last()).named("before"), layer.named("under_test"),
                Dense.of(3).named("after")), DType.FLOAT64);
        assertEquals(expect.outputShape(), m.layerOutputShapes().get(2), "output shape");
        assertEquals(expect.params(), m.paramCount(2), "parameter count");
        m.compile(Sgd.of(), Loss.MEAN_SQUARED_ERROR);
        m.initialize(3);
        int n = 3;
        int rows = n * (m.outputShape().size() / 3);
        SplittableRandom rng = new SplittableRandom(11);
        double[] x = new double[n * input.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian();
        }
        float[] y = new float[rows * 3];
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) rng.nextGaussian();
        }
        Plan plan = m.plan(n, true);
        double[] train = forward(plan, x, n, true, m.outputShape().size());
        double[] infer = forward(plan, x, n, false, m.outputShape().size());
        boolean differs = false;
        for (int i = 0; i < train.length; i++) {
            differs |= train[i] != infer[i];
        }
        assertEquals(expect.stochasticInTraining(), differs, "training output differs from inference output");
        gradientCheck(m, plan, x, y, n, rows);
    }

    public static double[] forward(Plan plan, double[] x, int n, boolean training, int outSize) {
        plan.input.put(0, x, 0, x.length);
        plan.forward(n, training, 7);
        double[] out = new double[n * outSize];
        plan.output.get(0, out, 0, out.length);
        return out;
    }

    /** Central differences on every weight in training mode with a fixed step, so stochastic masks are constant. */
    public static void gradientCheck(Model m, Plan plan, double[] x, float[] y, int n, int rows) {
        int width = m.outputShape().last();
        Loss loss = m.loss();
        plan.input.put(0, x, 0, x.length);
        plan.forward(n, true, 7);
        loss.compute(plan.output, y, rows, width, plan.outputGrad, plan.fused);
        plan.backward(n);
        Buf grads = m.gradientBuffer();
        Buf params = m.parameterBuffer();
        int count = (int) m.trainableParamCount();
        double[] analytic = new double[count];
        grads.get(0, analytic, 0, count);
        double eps = 1e-6;
        for (int i = 0; i < count; i++) {
            double p = params.get(i);
            params.set(i, p + eps);
            double up = lossAt(m, plan, x, y, n, rows);
            params.set(i, p - eps);
            double down = lossAt(m, plan, x, y, n, rows);
            params.set(i, p);
            double numeric = (up - down) / (2 * eps);
            double err = Math.abs(numeric - analytic[i]);
            assertTrue(err <= 1e-6 + 1e-5 * Math.abs(numeric),
                    "gradient of weight " + i + ": analytic " + analytic[i] + " vs numeric " + numeric);
        }
    }

    static double lossAt(Model m, Plan plan, double[] x, float[] y, int n, int rows) {
        plan.input.put(0, x, 0, x.length);
        plan.forward(n, true, 7);
        return m.loss().compute(plan.output, y, rows, m.outputShape().last(), null, false) + plan.penalty();
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

    public static void roundTrip(Layer layer) {
        Layer named = layer.named("round_trip");
        ObjectNode json = LayerRegistry.toJson(named);
        Layer back = LayerRegistry.fromJson(json, "layer");
        assertEquals(named.config(), back.config(), "config → JSON → config");
        assertEquals(json, LayerRegistry.toJson(back), "JSON → layer → JSON");
        assertEquals(named.type(), json.get("type").asText());
    }
}
