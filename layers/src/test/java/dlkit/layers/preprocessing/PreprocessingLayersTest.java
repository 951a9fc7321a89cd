package dlkit.layers.preprocessing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ShapeException;
import dlkit.config.Json;
import dlkit.layers.Layer;
import dlkit.layers.LayerTestKit;
import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.registry.LayerRegistry;
import dlkit.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Rescaling and Normalization against Keras 3 (fixtures/keras_preprocessing.json, written by the script beside it):
 * Keras' own configs read as they are, adapt gives Keras' mean and variance, and the outputs match; the float32
 * kernel is bit for bit the function {@code transform} applies to data outside a model.
 */
class PreprocessingLayersTest {
    @Test
    void matchKerasConfigsAdaptAndOutputs() throws IOException {
        JsonNode fixture;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/keras_preprocessing.json")) {
            fixture = Json.MAPPER.readTree(in);
        }
        assertTrue(fixture.path("cases").size() >= 6);
        for (JsonNode c : fixture.get("cases")) {
            String name = c.get("name").asText();
            ObjectNode config = ((ObjectNode) c.get("config")).deepCopy();
            config.put("type", name.startsWith("rescaling") ? "Rescaling" : "Normalization");
            Layer layer = LayerRegistry.fromJson(config, name);
            Shape shape = Shape.of(toInts(c.get("input_shape")));
            float[] x = floats(c.get("x"));
            if (c.has("mean")) {
                layer = ((Normalization) layer).adapt(samples(x, shape));
                assertClose(doubles(c.get("mean")), ((Normalization) layer).config().mean(), 1e-5, name + " mean");
                assertClose(doubles(c.get("variance")), ((Normalization) layer).config().variance(), 1e-4, name + " variance");
            }
            float[] expected = floats(c.get("y"));
            float[] y32 = LayerTestKit.forward32(layer, shape, x);
            double[] y64 = LayerTestKit.forward(layer, shape, toDoubles(x), false, 0);
            for (int i = 0; i < expected.length; i++) {
                double tol = 1e-5 * Math.max(1, Math.abs(expected[i]));
                assertEquals(expected[i], y32[i], tol, name + " float32 output " + i);
                assertEquals(expected[i], y64[i], tol, name + " float64 output " + i);
            }
            assertArrayEquals(y32, ((Preprocessing<?, ?, ?>) layer).transform(x, shape), name + ": transform() is the float32 kernel");
        }
    }

    @Test
    void gradientsConfigsAndShapes() {
        LayerTestKit.run(Rescaling.of(0.5, -1), Shape.of(3, 2), new Expect(Shape.of(3, 2), 0, false));
        Normalization adapted = Normalization.of().adapt(samples(new float[] {1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233}, Shape.of(2, 3)));
        LayerTestKit.run(adapted, Shape.of(2, 3), new Expect(Shape.of(2, 3), 0, false));
        LayerTestKit.run(adapted.invert(true), Shape.of(2, 3), new Expect(Shape.of(2, 3), 0, false));
        LayerTestKit.run(Normalization.of(), Shape.of(4), new Expect(Shape.of(4), 0, false));
        ShapeException wrong = assertThrows(ShapeException.class, () -> adapted.named("n").outputShape(Shape.of(2, 4)));
        assertTrue(wrong.getMessage().contains("3 means and variances") && wrong.getMessage().contains("4 indices"), wrong.getMessage());
        ShapeException axis = assertThrows(ShapeException.class, () -> Normalization.of(3).named("n").outputShape(Shape.of(2, 4)));
        assertTrue(axis.getMessage().contains("axis 3 does not exist"), axis.getMessage());
    }

    @Test
    void fitRangeMapsTheDataToZeroOne() {
        Rescaling r = Rescaling.fitRange(samples(new float[] {2, 4, 10, 6}, Shape.of(2)));
        assertArrayEquals(new float[] {0, 0.25f, 1, 0.5f}, r.transform(new float[] {2, 4, 10, 6}, Shape.of(2)));
        assertEquals(1.0 / 255, Rescaling.fitRange(samples(new float[] {0, 255}, Shape.of(1))).config().scale());
        assertEquals(0.0, Rescaling.fitRange(samples(new float[] {0, 255}, Shape.of(1))).config().offset());
    }

    private static Samples samples(float[] x, Shape shape) {
        int size = shape.size();
        return new Samples() {
            @Override
            public Shape featureShape() {
                return shape;
            }

            @Override
            public int count() {
                return x.length / size;
            }

            @Override
            public float[] features(int i) {
                return java.util.Arrays.copyOfRange(x, i * size, (i + 1) * size);
            }
        };
    }

    private static void assertClose(List<Double> expected, List<Double> actual, double tol, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), tol * Math.max(1, Math.abs(expected.get(i))), what + " " + i);
        }
    }

    private static int[] toInts(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asInt();
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

    private static List<Double> doubles(JsonNode a) {
        List<Double> v = new ArrayList<>();
        a.forEach(n -> v.add(n.asDouble()));
        return v;
    }

    private static double[] toDoubles(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
