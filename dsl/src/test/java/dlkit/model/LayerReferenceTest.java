package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.config.Json;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.registry.LayerRegistry;
import dlkit.loss.Loss;
import dlkit.optim.Sgd;
import dlkit.tensor.DType;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Convolution, pooling, BatchNorm and recurrent layers against PyTorch 2.13 (fixtures/torch_conv_reference.json and
 * torch_rnn_reference.json, made by the scripts beside them): same input and Keras-layout weights in, the same output, MSE loss, weight
 * gradients, input gradient and (BatchNorm) moving statistics out, to 1e-9 in float64. Weight gradients come from a
 * plan without an input gradient (the first-layer im2col path where it applies), the input gradient from one with it.
 */
class LayerReferenceTest {
    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String file : List.of("/fixtures/torch_conv_reference.json", "/fixtures/torch_rnn_reference.json")) {
            try (InputStream in = LayerReferenceTest.class.getResourceAsStream(file)) {
                Json.MAPPER.readTree(in).get("cases").forEach(c -> out.add(Arguments.of(c.get("name").asText(), c)));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesPyTorch(String name, JsonNode c) {
        Layer layer = LayerRegistry.fromJson(c.get("layer"), name).named("under_test");
        int[] shape = Json.MAPPER.convertValue(c.get("input_shape"), int[].class);
        Model m = new Sequential(name, List.of(Input.of(shape), layer), DType.FLOAT64);
        m.compile(Sgd.of(), Loss.MEAN_SQUARED_ERROR);
        Map<String, INDArray> weights = weights(m, c.get("weights"));
        m.setWeights(weights);
        double[] x = doubles(c.get("x"));
        float[] y = floats(c.get("y"));
        int n = x.length / m.inputShape().size();
        boolean training = c.get("training").asBoolean();
        for (boolean withInputGrad : new boolean[] {false, true}) {
            m.setWeights(weights);
            Plan plan = m.plan(n, true, withInputGrad);
            double[] out = ModelTestKit.forward(plan, x, n, training, m.outputShape().size());
            assertClose(doubles(c.get("output")), out, name + " output");
            int width = m.outputShape().last();
            double loss = m.loss().compute(plan.output, y, y.length / width, width, plan.outputGrad, plan.fused);
            assertEquals(c.get("loss").asDouble(), loss, 1e-9, name + " loss");
            plan.backward(n);
            if (withInputGrad) {
                double[] dx = new double[x.length];
                plan.inputGrad.get(0, dx, 0, dx.length);
                assertClose(doubles(c.get("input_grad")), dx, name + " input gradient");
                continue;
            }
            Map<String, INDArray> grads = m.getGradients();
            c.get("grads").fields().forEachRemaining(e ->
                    assertClose(doubles(e.getValue()), grads.get("under_test." + e.getKey()).data().asDouble(), name + " gradient of " + e.getKey()));
            if (c.has("after")) {
                Map<String, INDArray> now = m.getWeights();
                c.get("after").fields().forEachRemaining(e ->
                        assertClose(doubles(e.getValue()), now.get("under_test." + e.getKey()).data().asDouble(), name + " " + e.getKey()));
            }
        }
    }

    private static Map<String, INDArray> weights(Model m, JsonNode values) {
        Map<String, INDArray> out = new LinkedHashMap<>();
        m.getWeights().forEach((key, current) -> {
            JsonNode v = values.get(key.substring(key.indexOf('.') + 1));
            assertTrue(v != null, "fixture lacks weight " + key);
            out.put(key, Nd4j.create(doubles(v), current.shape(), 'c'));
        });
        return out;
    }

    private static void assertClose(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + " size");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-9 + 1e-9 * Math.abs(expected[i]), what + " [" + i + "]");
        }
    }

    private static double[] doubles(JsonNode a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asDouble();
        }
        return v;
    }

    private static float[] floats(JsonNode a) {
        float[] v = new float[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) a.get(i).asDouble();
        }
        return v;
    }
}
