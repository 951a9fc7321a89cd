package dlkit.layers.core;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.MaskRule;
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
public final class Masking extends AbstractLayer<Masking.Config, Masking.Builder, Masking> {
    public record Config(@Nullable String name, double maskValue) implements LayerConfig {
        public Config {
            if (!Double.isFinite(maskValue)) {
                throw new IllegalArgumentException("mask_value: expected a finite number, got " + maskValue);
            }
        }
    }

    /** Keras' default: steps of all zeros are padding. */
    public static final class Builder extends ConfigBuilder<Config> {
        public double maskValue;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Masking> TYPE = new LayerType<>("Masking", Builder::new, Set.of(), Masking::new);

    public Masking(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Masking of() {
        return of(0);
    }

    public static @NonNull Masking of(double maskValue) {
        return new Masking(new Config(null, maskValue));
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
        double value = config().maskValue();
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
