package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ShapeException;
import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.LayerCall;
import dlkit.layers.core.ActivationLayer;
import dlkit.layers.core.Dense;
import dlkit.layers.merge.Add;
import dlkit.layers.merge.Average;
import dlkit.layers.merge.Concatenate;
import dlkit.layers.merge.Maximum;
import dlkit.layers.merge.Multiply;
import dlkit.layers.merge.Subtract;
import dlkit.layers.reshaping.Flatten;
import dlkit.layers.reshaping.Reshape;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.optim.Adam;
import dlkit.optim.Sgd;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class FunctionalTest {
    /**
     * Two inputs, a Dense layer shared by both, every merge layer, a tensor feeding three consumers and also being an
     * output, an aliasing Reshape, and two outputs with different losses and weights: every weight gradient and
     * both input paths against central differences (float64).
     */
    @Test
    void gradientsOfAGraphWithSharedLayersMergesFanOutAndTwoOutputs() {
        Input a = Input.of(4).named("a");
        Input b = Input.of(4).named("b");
        Dense shared = Dense.of(5).activation(Activation.TANH).named("shared");
        LayerCall ha = shared.apply(a);
        LayerCall hb = shared.apply(b);
        LayerCall sum = Add.of().apply(ha, hb);
        LayerCall diff = Subtract.of().apply(ha, hb);
        LayerCall prod = Multiply.of().apply(sum, diff, ha);
        LayerCall avg = Average.of().apply(prod, hb);
        LayerCall max = Maximum.of().apply(avg, sum);
        LayerCall cat = Concatenate.of().apply(max, sum, Reshape.of(5).apply(hb));
        LayerCall cls = Dense.of(3).activation(Activation.SOFTMAX).named("cls").apply(cat);
        LayerCall reg = Dense.of(2).named("reg").apply(Concatenate.of(1).apply(sum, prod));
        Model m = Model.of(List.of(a, b), List.of(cls, reg, sum)).withDType(DType.FLOAT64);
        assertEquals(List.of("cls", "reg", "add"), m.outputNames());
        // The shared Dense counts once: 4·5+5; cls (15·3+3); reg (10·2+2).
        assertEquals(25 + 48 + 22, m.paramCount());
        m.compile(Sgd.of(), List.of(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Loss.MEAN_SQUARED_ERROR, Loss.MEAN_ABSOLUTE_ERROR),
                List.of(1.0, 0.5, 0.25), List.of(List.of(Metric.ACCURACY), List.of(), List.of()));
        m.initialize(5);
        int n = 6;
        List<INDArray> xs = List.of(ModelTestKit.gaussian(1, n, 4), ModelTestKit.gaussian(2, n, 4));
        INDArray classes = Nd4j.create(new double[] {0, 1, 2, 2, 1, 0}, new long[] {n, 1});
        List<INDArray> ys = List.of(classes, ModelTestKit.gaussian(3, n, 2), ModelTestKit.gaussian(4, n, 5));
        ModelTestKit.gradientCheck(m, xs, ys);
    }

    /** The same layers wired functionally and as a Sequential stack compute and train identically. */
    @Test
    void aChainGraphTrainsLikeSequential() {
        Input x = Input.of(6);
        Dense d1 = Dense.of(8).activation(Activation.RELU).named("d1");
        Dense d2 = Dense.of(3).activation(Activation.SOFTMAX).named("d2");
        Model graph = Model.of(x, d2.apply(Flatten.of().named("f").apply(d1.apply(x))));
        Model seq = Sequential.of(x, d1, Flatten.of().named("f"), d2);
        ArrayDataset data = ArrayDataset.of(ModelTestKit.gaussian(9, 64, 6).castTo(DataType.FLOAT),
                Nd4j.create(new SplittableRandom(3).ints(64, 0, 3).asDoubleStream().toArray(), new long[] {64, 1}));
        History[] h = new History[2];
        Model[] models = {graph, seq};
        for (int i = 0; i < 2; i++) {
            models[i].compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY);
            models[i].initialize(1);
            h[i] = models[i].fit(data, FitOptions.epochs(3).batchSize(16).seed(2L));
        }
        assertEquals(seq.getWeights().keySet(), graph.getWeights().keySet());
        assertEquals(h[1].get("loss"), h[0].get("loss"));
        assertTrue(graph.isFunctional());
        assertEquals("Functional", graph.modelType());
    }

    @Test
    void mergeLayersComputeKnownValues() {
        Input a = Input.of(2, 2);
        Input b = Input.of(2, 3);
        INDArray xa = Nd4j.create(new double[] {1, -2, 3, 4}, new long[] {1, 2, 2});
        INDArray xb = Nd4j.create(new double[] {5, 6, 7, 8, 9, 10}, new long[] {1, 2, 3});
        Model cat = Model.of(List.of(a, b), List.of(Concatenate.of(-1).apply(a, b)));
        assertEquals(Shape.of(2, 5), cat.outputShape());
        assertArrayEquals(new float[] {1, -2, 5, 6, 7, 3, 4, 8, 9, 10}, cat.predict(List.of(xa, xb)).get(0).data().asFloat());
        Input c = Input.of(2, 2);
        INDArray xc = Nd4j.create(new double[] {0.5, 3, -1, 2}, new long[] {1, 2, 2});
        Model cat1 = Model.of(List.of(a, c), List.of(Concatenate.of(1).apply(a, c)));
        assertEquals(Shape.of(4, 2), cat1.outputShape());
        assertArrayEquals(new float[] {1, -2, 3, 4, 0.5f, 3, -1, 2}, cat1.predict(List.of(xa, xc)).get(0).data().asFloat());
        Model ops = Model.of(List.of(a, c), List.of(Add.of().apply(a, c), Subtract.of().apply(a, c), Multiply.of().apply(a, c),
                Average.of().apply(a, c), Maximum.of().apply(a, c)));
        List<INDArray> out = ops.predict(List.of(xa, xc));
        assertArrayEquals(new float[] {1.5f, 1, 2, 6}, out.get(0).data().asFloat());
        assertArrayEquals(new float[] {0.5f, -5, 4, 2}, out.get(1).data().asFloat());
        assertArrayEquals(new float[] {0.5f, -6, -3, 8}, out.get(2).data().asFloat());
        assertArrayEquals(new float[] {0.75f, 0.5f, 1, 3}, out.get(3).data().asFloat());
        assertArrayEquals(new float[] {1, 3, 3, 4}, out.get(4).data().asFloat());
    }

    @Test
    void twoOutputsTrainWithWeightedLossesAndPerOutputLogs() {
        Input x = Input.of(4).named("x");
        LayerCall h = Dense.of(16).activation(Activation.RELU).apply(x);
        LayerCall cls = Dense.of(2).activation(Activation.SOFTMAX).named("cls").apply(h);
        LayerCall val = Dense.of(1).named("value").apply(h);
        Model m = Model.of(List.of(x), List.of(cls, val));
        m.compile(Adam.of(0.02), List.of(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Loss.MEAN_SQUARED_ERROR), List.of(1.0, 0.5),
                List.of(List.of(Metric.ACCURACY), List.of(Metric.MAE)));
        INDArray xs = ModelTestKit.gaussian(5, 256, 4);
        double[] label = new double[256];
        double[] target = new double[256];
        for (int i = 0; i < 256; i++) {
            label[i] = xs.getDouble(i, 0) + xs.getDouble(i, 1) > 0 ? 1 : 0;
            target[i] = xs.getDouble(i, 2) - 0.5 * xs.getDouble(i, 3);
        }
        ArrayDataset data = ArrayDataset.ofArrays(List.of(xs), List.of(Nd4j.create(label, new long[] {256, 1}), Nd4j.create(target, new long[] {256, 1})));
        History hist = m.fit(data, FitOptions.epochs(30).batchSize(32).seed(1L));
        Map<String, Double> ev = m.evaluate(data);
        assertEquals(List.of("loss", "cls_loss", "value_loss", "cls_accuracy", "value_mae"), List.copyOf(ev.keySet()));
        assertEquals(ev.get("cls_loss") + 0.5 * ev.get("value_loss"), ev.get("loss"), 1e-5);
        assertTrue(ev.get("cls_accuracy") > 0.95, "accuracy " + ev);
        assertTrue(ev.get("value_loss") < 0.02, "mse " + ev);
        assertTrue(hist.get("cls_accuracy").size() == 30);
    }

    @Test
    void badGraphsAreRejectedWithTheLayersAndShapes() {
        Input a = Input.of(4).named("a");
        Input b = Input.of(3).named("b");
        ShapeException merge = assertThrows(ShapeException.class, () -> Add.of().named("sum").apply(a, b));
        assertTrue(merge.getMessage().contains("layer 'sum' (Add)") && merge.getMessage().contains("(None, 4) and (None, 3)"), merge.getMessage());
        ShapeException cat = assertThrows(ShapeException.class, () -> Concatenate.of(1).apply(Input.of(2, 3), Input.of(2, 4)));
        assertTrue(cat.getMessage().contains("(None, 2, 3) and (None, 2, 4)"), cat.getMessage());
        LayerCall out = Dense.of(2).apply(Add.of().apply(a, Dense.of(4).apply(a)));
        ShapeException disconnected = assertThrows(ShapeException.class, () -> Model.of(List.of(b), List.of(out)));
        assertTrue(disconnected.getMessage().contains("Input 'a'") && disconnected.getMessage().contains("not among the model's inputs"),
                disconnected.getMessage());
        ShapeException unused = assertThrows(ShapeException.class, () -> Model.of(List.of(a, b), List.of(out)));
        assertTrue(unused.getMessage().contains("'b'") && unused.getMessage().contains("does not feed any output"), unused.getMessage());
        ShapeException dense = assertThrows(ShapeException.class, () -> Dense.of(3).apply(a, b));
        assertTrue(dense.getMessage().contains("takes one input, got 2"), dense.getMessage());
        assertThrows(ShapeException.class, () -> ActivationLayer.of(Activation.RELU).apply(List.of()));
    }

    private static Model sharedGraph() {
        Input a = Input.of(4).named("left");
        Input b = Input.of(4).named("right");
        Dense shared = Dense.of(5).activation(Activation.RELU).named("encoder");
        LayerCall ha = shared.apply(a);
        LayerCall hb = shared.apply(b);
        LayerCall cat = Concatenate.of().named("joined").apply(Subtract.of().apply(ha, hb), Multiply.of().apply(ha, hb));
        LayerCall same = Dense.of(1).activation(Activation.SIGMOID).named("same").apply(cat);
        LayerCall recon = Dense.of(4).named("recon").apply(hb);
        Model m = Model.of(List.of(a, b), List.of(same, recon)).named("siamese");
        m.compile(Adam.of(0.01), List.of(Loss.BINARY_CROSSENTROPY, Loss.MEAN_SQUARED_ERROR), List.of(1.0, 0.3),
                List.of(List.of(Metric.BINARY_ACCURACY), List.of()));
        return m;
    }

    @Test
    void graphConfigRoundTripsExactlyAndArchivesKeepTheWeights(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Model m = sharedGraph();
        String json = m.toJson();
        assertTrue(json.contains("\"inputs\" : [ [ \"left\" ], [ \"right\" ] ]") || json.contains("\"inputs\":[[\"left\"],[\"right\"]]"), json);
        assertTrue(json.contains("encoder:1"), json);
        Model back = Model.fromJson(json);
        assertEquals(json, back.toJson());
        assertEquals(m.outputNames(), back.outputNames());
        assertEquals(m.paramCount(), back.paramCount());
        m.initialize(4);
        java.nio.file.Path file = dir.resolve("siamese.dlk");
        m.save(file);
        Model loaded = Model.load(file);
        List<INDArray> xs = List.of(ModelTestKit.gaussian(1, 5, 4).castTo(DataType.FLOAT), ModelTestKit.gaussian(2, 5, 4).castTo(DataType.FLOAT));
        List<INDArray> p1 = m.predict(xs);
        List<INDArray> p2 = loaded.predict(xs);
        assertEquals(p1.get(0), p2.get(0));
        assertEquals(p1.get(1), p2.get(1));
        assertEquals(json, loaded.toJson());
    }

    private static String configError(String json) {
        return assertThrows(dlkit.ConfigException.class, () -> Model.fromJson(json)).getMessage();
    }

    @Test
    void badGraphConfigsNameThePathAndTheProblem() {
        String head = "{\"type\": \"Functional\", \"layers\": [{\"type\": \"Input\", \"name\": \"x\", \"shape\": [3]}, ";
        String cycle = configError(head + "{\"type\": \"Dense\", \"name\": \"a\", \"units\": 3, \"inputs\": [\"b\"]},"
                + "{\"type\": \"Dense\", \"name\": \"b\", \"units\": 3, \"inputs\": [\"a\"]}], \"inputs\": [\"x\"], \"outputs\": [\"b\"]}");
        assertTrue(cycle.contains("cycle: b -> a -> b"), cycle);
        String unknown = configError(head + "{\"type\": \"Dense\", \"name\": \"dense\", \"units\": 3, \"inputs\": [\"xx\"]}],"
                + " \"inputs\": [\"x\"], \"outputs\": [\"dense\"]}");
        assertTrue(unknown.contains("layers[1].inputs[0]") && unknown.contains("unknown layer \"xx\"") && unknown.contains("did you mean \"x\""), unknown);
        String dup = configError(head + "{\"type\": \"Dense\", \"name\": \"x\", \"units\": 3, \"inputs\": [\"x\"]}],"
                + " \"inputs\": [\"x\"], \"outputs\": [\"x\"]}");
        assertTrue(dup.contains("layers[1].name") && dup.contains("duplicate layer name \"x\""), dup);
        String dangling = configError(head + "{\"type\": \"Input\", \"name\": \"y\", \"shape\": [3]},"
                + "{\"type\": \"Add\", \"name\": \"sum\", \"inputs\": [\"x\", \"y\"]}], \"inputs\": [\"x\"], \"outputs\": [\"sum\"]}");
        assertTrue(dangling.contains("Input 'y'") && dangling.contains("not among the model's inputs"), dangling);
        String unused = configError(head + "{\"type\": \"Dense\", \"name\": \"a\", \"units\": 3, \"inputs\": [\"x\"]},"
                + "{\"type\": \"Dense\", \"name\": \"b\", \"units\": 3, \"inputs\": [\"x\"]}], \"inputs\": [\"x\"], \"outputs\": [\"a\"]}");
        assertTrue(unused.contains("layers[2]") && unused.contains("'b' does not lead to any output"), unused);
        String shapes = configError(head + "{\"type\": \"Dense\", \"name\": \"wide\", \"units\": 5, \"inputs\": [\"x\"]},"
                + "{\"type\": \"Add\", \"name\": \"sum\", \"inputs\": [\"x\", \"wide\"]}], \"inputs\": [\"x\"], \"outputs\": [\"sum\"]}");
        assertTrue(shapes.contains("layers[2]") && shapes.contains("layer 'sum' (Add)") && shapes.contains("(None, 3) and (None, 5)"), shapes);
        String call = configError(head + "{\"type\": \"Dense\", \"name\": \"a\", \"units\": 3, \"inputs\": [\"x\"]}],"
                + " \"inputs\": [\"x\"], \"outputs\": [\"a:1\"]}");
        assertTrue(call.contains("outputs") && call.contains("called 1 time(s)"), call);
        String noInputs = configError(head + "{\"type\": \"Dense\", \"name\": \"a\", \"units\": 3}], \"inputs\": [\"x\"], \"outputs\": [\"a\"]}");
        assertTrue(noInputs.contains("layers[1].inputs"), noInputs);
        String lossKey = configError(head + "{\"type\": \"Dense\", \"name\": \"a\", \"units\": 3, \"inputs\": [\"x\"]}], \"inputs\": [\"x\"],"
                + " \"outputs\": [\"a\", \"x\"], \"compile\": {\"loss\": {\"a\": \"mse\", \"z\": \"mse\"}}}");
        assertTrue(lossKey.contains("compile.loss.z") && lossKey.contains("unknown key"), lossKey);
    }

    /** Inference plans reuse dead activations' memory; the outputs are those of a plan that keeps everything. */
    @Test
    void inferencePlansReuseMemoryOnceActivationsAreDead() {
        Input x = Input.of(6).named("x");
        LayerCall h = Dense.of(16).activation(Activation.RELU).apply(x);
        for (int i = 0; i < 6; i++) {
            LayerCall a = Dense.of(16).activation(Activation.TANH).apply(h);
            LayerCall b = Reshape.of(16).apply(Dense.of(16).apply(a));
            h = Add.of().apply(h, Concatenate.of().apply(Dense.of(8).apply(b), Dense.of(8).apply(a)));
        }
        Model m = Model.of(List.of(x), List.of(Dense.of(3).apply(h), Dense.of(2).apply(h))).withDType(DType.FLOAT64);
        m.compile(Sgd.of(), Loss.MEAN_SQUARED_ERROR);
        m.initialize(8);
        int n = 5;
        Plan keepAll = m.plan(n, true);
        Plan reusing = m.plan(n, false);
        assertTrue(reusing.activationElements * 3 < keepAll.activationElements,
                reusing.activationElements + " vs " + keepAll.activationElements);
        double[] xs = ModelTestKit.gaussian(6, n, 6).data().asDouble();
        for (Plan p : new Plan[] {keepAll, reusing}) {
            p.input.put(0, xs, 0, xs.length);
            p.forward(n, false, 0);
        }
        for (int o = 0; o < 2; o++) {
            int len = n * (o == 0 ? 3 : 2);
            double[] want = new double[len];
            double[] got = new double[len];
            keepAll.outputs[o].get(0, want, 0, len);
            reusing.outputs[o].get(0, got, 0, len);
            assertArrayEquals(want, got);
        }
    }
}
