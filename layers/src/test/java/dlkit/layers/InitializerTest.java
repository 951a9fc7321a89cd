package dlkit.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.config.Json;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InitializerTest {
    static double[] draw(Initializer init, int rows, int cols) {
        double[] v = new double[rows * cols];
        init.fill(v, new int[] {rows, cols}, new SplittableRandom(5));
        return v;
    }

    static double variance(double[] v) {
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double s = 0;
        for (double x : v) {
            s += (x - mean) * (x - mean);
        }
        return s / v.length;
    }

    @Test
    void varianceScalingMatchesKerasFormulas() {
        int in = 300;
        int out = 200;
        double[] gu = draw(Initializer.GLOROT_UNIFORM, in, out);
        double limit = Math.sqrt(6.0 / (in + out));
        for (double x : gu) {
            assertTrue(Math.abs(x) <= limit);
        }
        assertEquals(2.0 / (in + out), variance(gu), 0.03 * 2.0 / (in + out));
        assertEquals(2.0 / (in + out), variance(draw(Initializer.GLOROT_NORMAL, in, out)), 0.03 * 2.0 / (in + out));
        assertEquals(2.0 / in, variance(draw(Initializer.HE_NORMAL, in, out)), 0.03 * 2.0 / in);
        assertEquals(2.0 / in, variance(draw(Initializer.HE_UNIFORM, in, out)), 0.03 * 2.0 / in);
        double[] he = draw(Initializer.HE_NORMAL, in, out);
        double bound = 2 * Math.sqrt(2.0 / in) / 0.87962566103423978;
        for (double x : he) {
            assertTrue(Math.abs(x) <= bound + 1e-12, "truncated at two standard deviations");
        }
    }

    @Test
    void orthogonalColumnsAreOrthonormal() {
        for (int[] s : new int[][] {{8, 5}, {5, 8}}) {
            double[] q = draw(Initializer.ORTHOGONAL, s[0], s[1]);
            int rows = s[0];
            int cols = s[1];
            boolean tall = rows >= cols;
            int k = Math.min(rows, cols);
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    double dot = 0;
                    for (int i = 0; i < Math.max(rows, cols); i++) {
                        dot += tall ? q[i * cols + a] * q[i * cols + b] : q[a * cols + i] * q[b * cols + i];
                    }
                    assertEquals(a == b ? 1 : 0, dot, 1e-12);
                }
            }
        }
    }

    @Test
    void constantsAndJson() throws Exception {
        double[] c = draw(Initializer.constant(0.25), 2, 2);
        assertEquals(0.25, c[3]);
        assertEquals("\"he_normal\"", Json.MAPPER.writeValueAsString(Initializer.HE_NORMAL));
        assertEquals(Initializer.constant(0.5), Json.MAPPER.readValue("{\"type\": \"constant\", \"value\": 0.5}", Initializer.class));
        assertEquals(Initializer.orthogonal(2), Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(Initializer.orthogonal(2)), Initializer.class));
    }
}
