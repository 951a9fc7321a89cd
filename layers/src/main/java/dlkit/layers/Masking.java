package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Marks the time steps of {@code [steps, features]} whose features all equal {@code mask_value} as padding: they are
 * zeroed here and skipped by the recurrent layers after it (Keras' Masking), so a padded batch of variable-length
 * sequences gives the same results as the sequences on their own.
 */
public final class Masking implements Layer {
    public record Config(@Nullable String name, double maskValue) {
        public Config {
            if (!Double.isFinite(maskValue)) {
                throw new IllegalArgumentException("mask_value: expected a finite number, got " + maskValue);
            }
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Masking", Config.class, new Config(null, 0), Set.of(), Masking::new);

    private final Config config;

    public Masking(@NonNull Config config) {
        this.config = config;
    }

    /** Keras' default: steps of all zeros are padding. */
    public static @NonNull Masking of() {
        return of(0);
    }

    public static @NonNull Masking of(double maskValue) {
        return new Masking(new Config(null, maskValue));
    }

    @Override
    public String type() {
        return "Masking";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Masking named(String name) {
        return new Masking(new Config(name, config.maskValue()));
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public MaskRule maskRule() {
        return MaskRule.MAKE;
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException("Masking '" + name() + "' expects sequences shaped [steps, features], got " + input);
        }
        return input;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int steps = ctx.inputShape().dim(0);
        int features = ctx.inputShape().dim(1);
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        Buf mask = ctx.outputMask();
        double value = config.maskValue();
        double[] row = new double[features];
        double[] keep = new double[ctx.maxBatch() * steps];
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (int s = 0; s < n * steps; s++) {
                    x.get(s * features, row, 0, features);
                    boolean real = false;
                    for (int k = 0; k < features && !real; k++) {
                        real = row[k] != value;
                    }
                    keep[s] = real ? 1 : 0;
                    if (real) {
                        y.copyFrom(x, s * features, s * features, features);
                    } else {
                        for (int k = 0; k < features; k++) {
                            y.set(s * features + k, 0);
                        }
                    }
                }
                mask.put(0, keep, 0, n * steps);
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                for (int s = 0; s < n * steps; s++) {
                    if (keep[s] != 0) {
                        dx.copyFrom(dy, s * features, s * features, features);
                    } else {
                        for (int k = 0; k < features; k++) {
                            dx.set(s * features + k, 0);
                        }
                    }
                }
            }
        };
    }
}
