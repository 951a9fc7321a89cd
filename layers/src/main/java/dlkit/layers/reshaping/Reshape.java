package dlkit.layers.reshaping;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Reshapes each sample to {@code target_shape} (one entry may be −1, inferred). Free: the output aliases the input. */
public final class Reshape extends AbstractLayer<Reshape.Config, Reshape.Builder, Reshape> {
    public record Config(@Nullable String name, @NonNull List<Integer> targetShape) implements LayerConfig {
        public Config {
            if (targetShape == null || targetShape.isEmpty()) {
                throw new IllegalArgumentException("target_shape: expected a non-empty list of integers");
            }
            int unknown = 0;
            for (Integer d : targetShape) {
                if (d != null && d == -1) {
                    unknown++;
                } else if (d == null || d <= 0) {
                    throw new IllegalArgumentException("target_shape: expected positive integers or one -1, got " + targetShape);
                }
            }
            if (unknown > 1) {
                throw new IllegalArgumentException("target_shape: at most one -1 is allowed, got " + targetShape);
            }
            targetShape = List.copyOf(targetShape);
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<Integer> targetShape = List.of(-1);
    }

    public static final LayerType<Config, Builder, Reshape> TYPE = new LayerType<>("Reshape", Builder::new, Set.of("target_shape"), Reshape::new);

    public Reshape(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Reshape of(int @NonNull ... targetShape) {
        return new Reshape(new Config(null, Arrays.stream(targetShape).boxed().toList()));
    }

    @Override
    public Shape outputShape(Shape input) {
        int[] t = config().targetShape().stream().mapToInt(Integer::intValue).toArray();
        int known = 1;
        int unknownAt = -1;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == -1) {
                unknownAt = i;
            } else {
                known *= t[i];
            }
        }
        if (unknownAt >= 0) {
            if (input.size() % known != 0) {
                throw new ShapeException("Reshape '" + name() + "': cannot reshape " + input + " (" + input.size()
                        + " elements) to " + Arrays.toString(t) + ": " + input.size() + " is not divisible by " + known);
            }
            t[unknownAt] = input.size() / known;
        } else if (known != input.size()) {
            throw new ShapeException("Reshape '" + name() + "': cannot reshape " + input + " (" + input.size()
                    + " elements) to " + Arrays.toString(t) + " (" + known + " elements)");
        }
        return Shape.of(t);
    }

    @Override
    public boolean aliasesInput() {
        return true;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return Kernel.NONE;
    }
}
