package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** Reshapes each sample to {@code target_shape} (one entry may be −1, inferred). Free: the output aliases the input. */
public final class Reshape implements Layer {
    public record Config(@Nullable String name, int @NonNull [] targetShape) {
        public Config {
            if (targetShape == null || targetShape.length == 0) {
                throw new IllegalArgumentException("target_shape: expected a non-empty list of integers");
            }
            int unknown = 0;
            for (int d : targetShape) {
                if (d == -1) {
                    unknown++;
                } else if (d <= 0) {
                    throw new IllegalArgumentException("target_shape: expected positive integers or one -1, got " + Arrays.toString(targetShape));
                }
            }
            if (unknown > 1) {
                throw new IllegalArgumentException("target_shape: at most one -1 is allowed, got " + Arrays.toString(targetShape));
            }
            targetShape = targetShape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && java.util.Objects.equals(name, c.name) && Arrays.equals(targetShape, c.targetShape);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, Arrays.hashCode(targetShape));
        }

        @Override
        public String toString() {
            return "Reshape.Config[name=" + name + ", targetShape=" + Arrays.toString(targetShape) + "]";
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Reshape", Config.class, new Config(null, new int[] {-1}), Set.of("target_shape"), Reshape::new);

    private final Config config;

    public Reshape(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Reshape of(int @NonNull ... targetShape) {
        return new Reshape(new Config(null, targetShape));
    }

    @Override
    public String type() {
        return "Reshape";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Reshape named(String name) {
        return new Reshape(new Config(name, config.targetShape()));
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        int[] t = config.targetShape().clone();
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
