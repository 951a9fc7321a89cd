package dlkit.data;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;

/**
 * The TensorFlow Playground's 2-D toy sets (circle, xor, gaussian, spiral), generated with its formulas, with
 * {@code noise} in [0, 1] as the Playground's slider, and labels 0/1. Deterministic for a seed.
 */
public final class Playground {
    public static final List<String> NAMES = List.of("circle", "xor", "gaussian", "spiral");

    private Playground() {}

    public static @NonNull ArrayDataset generate(@NonNull String name, int samples, double noise, long seed) {
        if (samples < 2) {
            throw new IllegalArgumentException("samples: expected at least 2, got " + samples);
        }
        if (!(noise >= 0 && noise <= 1)) {
            throw new IllegalArgumentException("noise: expected a number in [0, 1], got " + noise);
        }
        if (samples > (Integer.MAX_VALUE - 8) / 2) {
            throw new IllegalArgumentException("samples: " + samples + " is more than an array of two features each holds (at most "
                    + (Integer.MAX_VALUE - 8) / 2 + ")");
        }
        // Features and labels: 3 floats a sample, after the ArrayDataset copy about twice that.
        dlkit.tensor.Memory.requireHeap(24L * samples, "samples: " + String.format("%,d", samples) + " playground samples");
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = new float[samples * 2];
        float[] y = new float[samples];
        switch (name.toLowerCase(Locale.ROOT)) {
            case "circle" -> {
                double radius = 5;
                for (int i = 0; i < samples; i++) {
                    boolean inside = i < samples / 2;
                    double r = inside ? uniform(rng, 0, radius * 0.5) : uniform(rng, radius * 0.7, radius);
                    double a = uniform(rng, 0, 2 * Math.PI);
                    double px = r * Math.sin(a) + uniform(rng, -radius, radius) * noise;
                    double py = r * Math.cos(a) + uniform(rng, -radius, radius) * noise;
                    put(x, y, i, px, py, Math.hypot(px, py) < radius * 0.5 ? 1 : 0);
                }
            }
            case "xor" -> {
                for (int i = 0; i < samples; i++) {
                    double px = uniform(rng, -5, 5);
                    px += px > 0 ? 0.3 : -0.3;
                    double py = uniform(rng, -5, 5);
                    py += py > 0 ? 0.3 : -0.3;
                    double nx = uniform(rng, -5, 5) * noise;
                    double ny = uniform(rng, -5, 5) * noise;
                    put(x, y, i, px + nx, py + ny, px * py >= 0 ? 1 : 0);
                }
            }
            case "gaussian" -> {
                double variance = 0.5 + noise * 3.5; // the Playground's mapping of its noise slider
                for (int i = 0; i < samples; i++) {
                    boolean pos = i < samples / 2;
                    double c = pos ? 2 : -2;
                    put(x, y, i, c + rng.nextGaussian() * Math.sqrt(variance), c + rng.nextGaussian() * Math.sqrt(variance), pos ? 1 : 0);
                }
            }
            case "spiral" -> {
                int half = samples / 2;
                for (int i = 0; i < samples; i++) {
                    boolean second = i >= half;
                    int k = second ? i - half : i;
                    int n = second ? samples - half : half;
                    double r = (double) k / n * 5;
                    double t = 1.75 * k / n * 2 * Math.PI + (second ? Math.PI : 0);
                    double px = r * Math.sin(t) + uniform(rng, -1, 1) * noise;
                    double py = r * Math.cos(t) + uniform(rng, -1, 1) * noise;
                    put(x, y, i, px, py, second ? 0 : 1);
                }
            }
            default -> throw new IllegalArgumentException("unknown playground data set \"" + name + "\"; expected one of " + NAMES);
        }
        return new ArrayDataset(x, dlkit.tensor.Shape.of(2), y, 1);
    }

    private static double uniform(SplittableRandom rng, double a, double b) {
        return a + rng.nextDouble() * (b - a);
    }

    private static void put(float[] x, float[] y, int i, double px, double py, int label) {
        x[2 * i] = (float) px;
        x[2 * i + 1] = (float) py;
        y[i] = label;
    }
}
