package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.Padding;
import dlkit.layers.convolution.Conv2D;
import dlkit.layers.core.Dense;
import dlkit.layers.normalization.BatchNormalization;
import dlkit.layers.pooling.MaxPooling2D;
import dlkit.layers.reshaping.Flatten;
import dlkit.loss.Loss;
import dlkit.optim.Sgd;
import dlkit.tensor.DType;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The float32 fast paths (im2col conv, channels-last BatchNorm, heap max pooling with its 2×2 special case) are not
 * reached by the float64 gradient checks, so they are held to the float64 kernels: same weights, same batch, one
 * training-mode forward and backward, outputs and every gradient equal to float32 precision.
 */
class Float32PathsTest {
    @Test
    void float32KernelsMatchFloat64() {
        List<Layer> layers = List.of(Input.of(10, 9, 2), Conv2D.of(6, 3).padding(Padding.SAME).activation(Activation.RELU),
                BatchNormalization.of(), MaxPooling2D.of(2), Conv2D.of(5, 3).padding(Padding.SAME), BatchNormalization.of().momentum(0.5),
                MaxPooling2D.of(3).strides(2, 2).padding(Padding.SAME), Flatten.of(), Dense.of(4).activation(Activation.SOFTMAX));
        compare(layers, 10 * 9 * 2);
    }

    /** The residual block adds, rectifies and sums its paths' input gradients in float arrays for float32 models. */
    @Test
    void float32ResidualBlocksMatchFloat64() {
        compare(List.of(Input.of(6, 6, 3), Conv2D.of(4, 3).padding(Padding.SAME), dlkit.layers.convolution.ResidualBlock.of(4),
                dlkit.layers.convolution.ResidualBlock.of(6).strides(2), Flatten.of(), Dense.of(4).activation(Activation.SOFTMAX)), 6 * 6 * 3);
    }

    /** The float32 recurrent cells compute their gates with the vectorised tanh/sigmoid approximations. */
    @Test
    void float32RecurrentCellsMatchFloat64() {
        compare(List.of(Input.of(6, 3), dlkit.layers.recurrent.LSTM.of(5).returnSequences(true), dlkit.layers.recurrent.GRU.of(4).returnSequences(true),
                dlkit.layers.recurrent.SimpleRNN.of(3), Dense.of(4).activation(Activation.SOFTMAX)), 6 * 3);
        compare(List.of(Input.of(6, 3), dlkit.layers.recurrent.GRU.of(4).resetAfter(false).returnSequences(true),
                dlkit.layers.recurrent.GRU.of(3).resetAfter(false), Dense.of(4).activation(Activation.SOFTMAX)), 6 * 3);
    }

    private static void compare(List<Layer> layers, int sampleSize) {
        Model f64 = new Sequential("f64", layers, DType.FLOAT64);
        Model f32 = new Sequential("f32", layers, DType.FLOAT32);
        for (Model m : List.of(f64, f32)) {
            m.compile(Sgd.of(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        }
        f64.initialize(5);
        f32.setWeights(f64.getWeights());
        int n = 7;
        SplittableRandom rng = new SplittableRandom(2);
        double[] x = new double[n * sampleSize];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian();
        }
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 4;
        }
        double[][] outs = new double[2][];
        List<Map<String, INDArray>> grads = new java.util.ArrayList<>();
        int k = 0;
        for (Model m : List.of(f64, f32)) {
            Plan plan = m.plan(n, true);
            outs[k++] = ModelTestKit.forward(plan, x, n, true, 4);
            m.loss().compute(plan.output, y, n, 4, plan.outputGrad, plan.fused);
            plan.backward(n);
            grads.add(m.getGradients());
        }
        for (int i = 0; i < outs[0].length; i++) {
            assertTrue(Math.abs(outs[0][i] - outs[1][i]) < 1e-5, "output " + i + ": " + outs[0][i] + " vs " + outs[1][i]);
        }
        for (String key : grads.get(0).keySet()) {
            double[] a = grads.get(0).get(key).data().asDouble();
            double[] b = grads.get(1).get(key).data().asDouble();
            // A gradient that cancels to zero (a bias before BatchNormalization) is float32 rounding noise, ~1e-7.
            double scale = 1e-2;
            for (double v : a) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < a.length; i++) {
                assertTrue(Math.abs(a[i] - b[i]) <= 1e-4 * scale, key + "[" + i + "]: float64 " + a[i] + " vs float32 " + b[i]);
            }
        }
        Map<String, INDArray> w64 = f64.getWeights();
        Map<String, INDArray> w32 = f32.getWeights();
        for (String key : w64.keySet().stream().filter(name -> name.contains(".moving_")).toList()) {
            double[] a = w64.get(key).data().asDouble();
            double[] b = w32.get(key).data().asDouble();
            for (int i = 0; i < a.length; i++) {
                assertTrue(Math.abs(a[i] - b[i]) < 1e-5, key + "[" + i + "]");
            }
        }
    }
}
