package dlkit.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.layers.core.Dense;
import dlkit.layers.registry.LayerRegistry;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Dnnl;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * The one test every layer passes (Keras' run_layer_test): output shape, parameter count, training vs inference
 * behaviour, config round-trip, and a float64 gradient check of the whole backward pass against central finite
 * differences. The layer sits between two Dense layers so its input gradient is checked through the first one. The
 * layers run on their own here, compiled against buffers this kit plans (a chain of calls, as a model's plan would).
 */
public final class LayerTestKit {
    private LayerTestKit() {}

    public record Expect(Shape outputShape, long params, boolean stochasticInTraining) {}

    public static void run(Layer layer, Shape input, Expect expect) {
        roundTrip(layer);
        int n = 3;
        Chain chain = new Chain(List.of(Dense.of(input.last()).named("before"), layer.named("under_test"), Dense.of(3).named("after")),
                input, n, DType.FLOAT64);
        assertEquals(expect.outputShape(), chain.shapes.get(2), "output shape");
        assertEquals(expect.params(), chain.paramCount(1), "parameter count");
        SplittableRandom rng = new SplittableRandom(11);
        double[] x = new double[n * input.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian();
        }
        double[] y = new double[n * chain.shapes.get(3).size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = rng.nextGaussian();
        }
        double[] train = chain.forward(x, n, true, 7);
        double[] infer = chain.forward(x, n, false, 7);
        boolean differs = false;
        for (int i = 0; i < train.length; i++) {
            differs |= train[i] != infer[i];
        }
        assertEquals(expect.stochasticInTraining(), differs, "training output differs from inference output");
        gradientCheck(chain, x, y, n);
    }

    /** Central differences on every weight in training mode with a fixed step, so stochastic masks are constant. */
    private static void gradientCheck(Chain chain, double[] x, double[] y, int n) {
        chain.lossAndGradients(x, y, n);
        int count = chain.trainable;
        double[] analytic = new double[count];
        chain.grads.get(0, analytic, 0, count);
        double eps = 1e-6;
        for (int i = 0; i < count; i++) {
            double p = chain.params.get(i);
            chain.params.set(i, p + eps);
            double up = chain.loss(x, y, n);
            chain.params.set(i, p - eps);
            double down = chain.loss(x, y, n);
            chain.params.set(i, p);
            double numeric = (up - down) / (2 * eps);
            double err = Math.abs(numeric - analytic[i]);
            assertTrue(err <= 1e-6 + 1e-5 * Math.abs(numeric),
                    "gradient of weight " + i + ": analytic " + analytic[i] + " vs numeric " + numeric);
        }
    }

    /** The layer alone, in inference mode, on {@code x} (samples of {@code input}'s shape, one after another). */
    public static float[] predict(Layer layer, Shape input, float[] x) {
        double[] in = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            in[i] = x[i];
        }
        double[] out = forward(layer, input, in, false, 0);
        float[] f = new float[out.length];
        for (int i = 0; i < out.length; i++) {
            f[i] = (float) out[i];
        }
        return f;
    }

    /** The layer alone on {@code x} in float64, in training or inference mode at optimizer step {@code step}. */
    public static double[] forward(Layer layer, Shape input, double[] x, boolean training, long step) {
        int n = x.length / input.size();
        return new Chain(List.of(layer), input, n, DType.FLOAT64).forward(x, n, training, step);
    }

    /** Inference forward of {@code layer} alone on float32 buffers (the layers' float32 kernels). */
    public static float[] forward32(Layer layer, Shape input, float[] x) {
        int n = x.length / input.size();
        Chain chain = new Chain(List.of(layer), input, n, DType.FLOAT32);
        chain.input.put(0, x, 0, x.length);
        for (Kernel k : chain.kernels) {
            k.forward(n, false, 0);
        }
        float[] out = new float[n * chain.shapes.get(1).size()];
        chain.output.get(0, out, 0, out.length);
        return out;
    }

    /**
     * The layer's float32 fast path (oneDNN called directly, where {@link Dnnl#available()}) against its portable path
     * on the same weights and data: outputs, input gradients and weight gradients equal to 1e-5, for a full batch and
     * for a smaller remainder batch (which gets primitives of its own).
     */
    public static void fastPathMatchesPortable(Layer layer, Shape input) {
        fastPathMatchesPortable(layer, input, false);
    }

    /** As above; with {@code reluBefore} the layer's input passes a ReLU first, so it holds ties (zeros). */
    public static void fastPathMatchesPortable(Layer layer, Shape input, boolean reluBefore) {
        fastPathMatchesPortable(layer, input, reluBefore, 5, 2);
    }

    /** As above, at batch size {@code max} and then a remainder batch of {@code remainder} rows. */
    public static void fastPathMatchesPortable(Layer layer, Shape input, boolean reluBefore, int max, int remainder) {
        assertTrue(Dnnl.available(), "oneDNN's natives must load on the machines the tests run on");
        for (int n : new int[] {max, remainder}) {
            double[] portable;
            double[] fast;
            try {
                Dnnl.force(false);
                portable = trainingStep32(layer, input, max, n, reluBefore);
                Dnnl.force(true);
                fast = trainingStep32(layer, input, max, n, reluBefore);
            } finally {
                Dnnl.force(null);
            }
            assertEquals(portable.length, fast.length);
            for (int i = 0; i < fast.length; i++) {
                double tol = 1e-5 * Math.max(1, Math.abs(portable[i]));
                assertTrue(Math.abs(portable[i] - fast[i]) <= tol,
                        "batch " + n + ", value " + i + " of outputs and gradients: portable " + portable[i] + " vs fast " + fast[i]);
            }
        }
    }

    /** Outputs, then weight gradients, of one float32 training step of Dense → layer → Dense on {@code n} rows. */
    private static double[] trainingStep32(Layer layer, Shape input, int maxBatch, int n, boolean reluBefore) {
        Chain chain = new Chain(List.of(Dense.of(input.last()).activation(reluBefore ? Activation.RELU : Activation.LINEAR).named("before"),
                layer.named("under_test"), Dense.of(3).named("after")), input, maxBatch, DType.FLOAT32);
        SplittableRandom rng = new SplittableRandom(5);
        double[] x = new double[n * input.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = rng.nextGaussian();
        }
        double[] y = new double[n * chain.shapes.get(3).size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = rng.nextGaussian();
        }
        chain.lossAndGradients(x, y, n);
        double[] out = new double[n * chain.shapes.get(2).size()];
        // The layer's own output, ahead of the last Dense, and every weight gradient (which needs the layer's input gradient).
        Buf mid = chain.outputs.get(1);
        mid.get(0, out, 0, out.length);
        double[] all = new double[out.length + chain.trainable];
        System.arraycopy(out, 0, all, 0, out.length);
        chain.grads.get(0, all, out.length, chain.trainable);
        return all;
    }

    public static void roundTrip(Layer layer) {
        Layer named = layer.named("round_trip");
        ObjectNode json = LayerRegistry.toJson(named);
        Layer back = LayerRegistry.fromJson(json, "layer");
        assertEquals(named.config(), back.config(), "config → JSON → config");
        assertEquals(json, LayerRegistry.toJson(back), "JSON → layer → JSON");
        assertEquals(named.type(), json.get("type").asText());
    }

    /**
     * Layers called one after another on planned buffers, with their weights in one flat array (trainable first, as a
     * model keeps them), initialised from a fixed seed. The loss is the mean squared error of the last output.
     */
    private static final class Chain {
        final List<Layer> layers;
        final List<Shape> shapes = new ArrayList<>();
        final List<List<ParamSpec>> specs = new ArrayList<>();
        final Buf params;
        final Buf grads;
        final int trainable;
        final Map<String, Integer> offsets = new HashMap<>();
        final Map<String, double[]> states = new HashMap<>();
        final List<Kernel> kernels = new ArrayList<>();
        final Buf input;
        final List<Buf> outputs = new ArrayList<>();
        final Buf output;
        final Buf outputGrad;

        Chain(List<Layer> layers, Shape in, int n, DType dtype) {
            this.layers = layers;
            shapes.add(in);
            for (Layer l : layers) {
                specs.add(l.params(shapes.get(shapes.size() - 1)));
                shapes.add(l.outputShape(shapes.get(shapes.size() - 1)));
            }
            int offset = 0;
            int trainableCount = 0;
            for (boolean trainablePass : new boolean[] {true, false}) {
                for (int i = 0; i < layers.size(); i++) {
                    for (ParamSpec s : specs.get(i)) {
                        if (s.trainable() == trainablePass) {
                            offsets.put(i + "." + s.name(), offset);
                            offset += s.size();
                        }
                    }
                }
                if (trainablePass) {
                    trainableCount = offset;
                }
            }
            this.trainable = trainableCount;
            this.params = Buf.allocate(dtype, offset);
            this.grads = Buf.allocate(dtype, trainableCount);
            int seed = 0;
            for (int i = 0; i < layers.size(); i++) {
                for (ParamSpec s : specs.get(i)) {
                    double[] v = new double[s.size()];
                    s.initializer().fill(v, s.shape(), new SplittableRandom(3L * 31 + seed++));
                    params.put(offsets.get(i + "." + s.name()), v, 0, v.length);
                }
            }
            this.input = Buf.allocate(dtype, n * in.size());
            Buf x = input;
            @Nullable Buf dx = null;
            @Nullable Buf mask = null;
            Buf y = null;
            Buf dy = null;
            for (int i = 0; i < layers.size(); i++) {
                Layer l = layers.get(i);
                Shape out = shapes.get(i + 1);
                boolean alias = l.aliasesInput();
                y = alias ? x : Buf.allocate(dtype, n * out.size());
                outputs.add(y);
                dy = alias && dx != null ? dx : Buf.allocate(dtype, n * out.size());
                @Nullable Buf outMask = l.maskRule() == MaskRule.MAKE ? Buf.allocate(dtype, n * out.dim(0)) : null;
                kernels.add(l.compile(new Context(this, i, n, dtype, x, dx, y, dy, mask, outMask)));
                mask = switch (l.maskRule()) {
                    case MAKE -> outMask;
                    case PASS -> mask;
                    case DROP -> null;
                };
                x = y;
                dx = dy;
            }
            this.output = y;
            this.outputGrad = dy;
        }

        long paramCount(int layer) {
            return specs.get(layer).stream().mapToLong(ParamSpec::size).sum();
        }

        double[] forward(double[] x, int n, boolean training, long step) {
            input.put(0, x, 0, x.length);
            for (Kernel k : kernels) {
                k.forward(n, training, step);
            }
            double[] out = new double[n * shapes.get(shapes.size() - 1).size()];
            output.get(0, out, 0, out.length);
            return out;
        }

        /** The loss in training mode at step 7 (the kit's fixed step), with every layer's penalty. */
        double loss(double[] x, double[] y, int n) {
            double[] out = forward(x, n, true, 7);
            double sum = 0;
            for (int i = 0; i < out.length; i++) {
                sum += (out[i] - y[i]) * (out[i] - y[i]);
            }
            double p = 0;
            for (Kernel k : kernels) {
                p += k.penalty();
            }
            return sum / out.length + p;
        }

        void lossAndGradients(double[] x, double[] y, int n) {
            double[] out = forward(x, n, true, 7);
            double[] g = new double[out.length];
            for (int i = 0; i < out.length; i++) {
                g[i] = 2 * (out[i] - y[i]) / out.length;
            }
            outputGrad.put(0, g, 0, g.length);
            for (int i = kernels.size() - 1; i >= 0; i--) {
                kernels.get(i).backward(n);
            }
        }
    }

    /** What one layer of the chain is compiled against. */
    private record Context(Chain chain, int index, int maxBatch, DType dtype, Buf input, @Nullable Buf inputGrad, Buf output,
                           Buf outputGrad, @Nullable Buf inputMask, @Nullable Buf outputMask) implements BuildContext {
        @Override
        public String layerName() {
            return chain.layers.get(index).name();
        }

        @Override
        public Shape inputShape() {
            return chain.shapes.get(index);
        }

        @Override
        public Shape outputShape() {
            return chain.shapes.get(index + 1);
        }

        private ParamSpec spec(String name) {
            return chain.specs.get(index).stream().filter(s -> s.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(layerName() + " has no parameter " + name));
        }

        @Override
        public Buf param(String name) {
            return chain.params.slice(chain.offsets.get(index + "." + name), spec(name).size());
        }

        @Override
        public Buf grad(String name) {
            return chain.grads.slice(chain.offsets.get(index + "." + name), spec(name).size());
        }

        @Override
        public Buf scratch(int perSample) {
            return Buf.allocate(dtype, maxBatch * perSample);
        }

        @Override
        public Buf ones(int length) {
            Buf b = Buf.allocate(dtype, length);
            b.fill(1, length);
            return b;
        }

        @Override
        public boolean lossFused() {
            return false;
        }

        @Override
        public long seed() {
            return 0x5EEDL * 31 + index;
        }

        @Override
        public double[] persistentState(String name, int length) {
            return chain.states.computeIfAbsent(index + "." + name, k -> new double[length]);
        }
    }
}
