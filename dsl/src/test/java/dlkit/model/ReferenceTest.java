package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.config.Json;
import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.loss.Loss;
import dlkit.optim.Optimizers;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import java.io.InputStream;
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
 * Forward outputs, losses, gradients and three optimizer steps of fixed tiny networks against PyTorch 2.13
 * (fixtures/torch_reference.json, made by fixtures/make_torch_reference.py), to 1e-5.
 */
class ReferenceTest {
    static final JsonNode FIXTURE = load();
    static final int N = 4;
    static final int IN = 5;

    static JsonNode load() {
        try (InputStream in = ReferenceTest.class.getResourceAsStream("/fixtures/torch_reference.json")) {
            return Json.MAPPER.readTree(in);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(DType.FLOAT32, DType.FLOAT64).flatMap(d -> {
            List<Arguments> out = new java.util.ArrayList<>();
            FIXTURE.get("cases").forEach(c -> out.add(Arguments.of(c.get("name").asText(), d, c)));
            return out.stream();
        });
    }

    static float[] floats(JsonNode arr) {
        float[] v = new float[arr.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) arr.get(i).asDouble();
        }
        return v;
    }

    static double[] doubles(JsonNode arr) {
        double[] v = new double[arr.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = arr.get(i).asDouble();
        }
        return v;
    }

    static Loss loss(String name) {
        return switch (name) {
            case "categorical_crossentropy_logits" -> Loss.CATEGORICAL_CROSSENTROPY.withFromLogits(true);
            case "binary_crossentropy_logits" -> Loss.BINARY_CROSSENTROPY.withFromLogits(true);
            default -> Loss.fromName(name);
        };
    }

    static Model build(JsonNode c, DType dtype) {
        int h = c.get("units").get(0).asInt();
        int out = c.get("units").get(1).asInt();
        Model m = new Sequential("ref", List.of(
                Input.of(IN),
                Dense.of(h).activation(Activation.fromJson(c.get("activations").get(0).asText())),
                Dense.of(out).activation(Activation.fromJson(c.get("activations").get(1).asText()))), dtype);
        Map<String, INDArray> w = new LinkedHashMap<>();
        w.put("dense.kernel", Nd4j.create(doubles(c.get("weights").get("dense.kernel")), new long[] {IN, h}, 'c'));
        w.put("dense.bias", Nd4j.create(doubles(c.get("weights").get("dense.bias")), new long[] {h}, 'c'));
        w.put("dense_1.kernel", Nd4j.create(doubles(c.get("weights").get("dense_1.kernel")), new long[] {h, out}, 'c'));
        w.put("dense_1.bias", Nd4j.create(doubles(c.get("weights").get("dense_1.bias")), new long[] {out}, 'c'));
        m.setWeights(w);
        return m;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardLossAndGradientsMatchPyTorch(String name, DType dtype, JsonNode c) {
        Model m = build(c, dtype);
        m.compile(dlkit.optim.Sgd.of(0.1), loss(c.get("loss").asText()));
        INDArray x = Nd4j.create(doubles(c.get("x")), new long[] {N, IN}, 'c');
        INDArray y = Nd4j.create(floats(c.get("y")), new long[] {c.get("y").size()}, 'c');
        // Labels are held in float32 even for float64 models, which bounds the float64 agreement near 1e-8.
        double tol = dtype == DType.FLOAT64 ? 1e-7 : 1e-5;

        double[] expectedOut = doubles(c.get("output"));
        double[] out = m.predict(x).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble();
        for (int i = 0; i < out.length; i++) {
            assertEquals(expectedOut[i], out[i], tol * Math.max(1, Math.abs(expectedOut[i])), name + " output " + i);
        }
        double l = m.computeGradients(x, y);
        assertEquals(c.get("loss_value").asDouble(), l, tol * Math.max(1, Math.abs(l)), name + " loss");
        Map<String, INDArray> grads = m.getGradients();
        for (var e : grads.entrySet()) {
            double[] expected = doubles(c.get("gradients").get(e.getKey()));
            double[] got = e.getValue().castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble();
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], tol * Math.max(1, Math.abs(expected[i])), name + " d" + e.getKey() + "[" + i + "]");
            }
        }
    }

    static Stream<Arguments> optimizerSteps() {
        List<Arguments> out = new java.util.ArrayList<>();
        FIXTURE.get("optimizer_steps").forEach(s -> out.add(Arguments.of(s.get("name").asText(), s)));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("optimizerSteps")
    void threeOptimizerStepsMatchPyTorch(String name, JsonNode s) {
        JsonNode c = FIXTURE.get("cases").get(0);
        Model m = build(c, DType.FLOAT32);
        m.compile(Optimizers.fromJson(s.get("optimizer"), "optimizer"), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        ArrayDataset data = new ArrayDataset(floats(c.get("x")), Shape.of(IN), floats(c.get("y")), 1);
        m.fit(data, FitOptions.epochs(s.get("steps").asInt()).batchSize(N).shuffle(false).seed(0));
        assertEquals(3, m.iterations());
        for (var e : m.getWeights().entrySet()) {
            double[] expected = doubles(s.get("weights").get(e.getKey()));
            double[] got = e.getValue().castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).data().asDouble();
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-5, name + " " + e.getKey() + "[" + i + "]");
            }
        }
    }
}
