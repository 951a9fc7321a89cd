package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The model's input: declares the shape of one sample (without the batch axis), like {@code keras.Input(shape=...)}. */
public final class Input implements Layer, SymbolicTensor {
    public record Config(@Nullable String name, int @NonNull [] shape) {
        public Config {
            if (shape == null || shape.length == 0) {
                throw new IllegalArgumentException("shape: expected a non-empty list of positive integers");
            }
            for (int d : shape) {
                if (d <= 0) {
                    throw new IllegalArgumentException("shape: expected positive integers, got " + java.util.Arrays.toString(shape));
                }
            }
            shape = shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && java.util.Objects.equals(name, c.name) && java.util.Arrays.equals(shape, c.shape);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, java.util.Arrays.hashCode(shape));
        }

        @Override
        public String toString() {
            return "Input.Config[name=" + name + ", shape=" + java.util.Arrays.toString(shape) + "]";
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "Input", Config.class, new Config(null, new int[] {1}), Set.of("shape"), Input::new);

    private final Config config;

    public Input(@NonNull Config config) {
        this.config = config;
    }

    public static @NonNull Input of(int @NonNull ... shape) {
        return new Input(new Config(null, shape));
    }

    public @NonNull Shape shape() {
        return Shape.of(config.shape());
    }

    @Override
    public String type() {
        return "Input";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public Input named(String name) {
        return new Input(new Config(name, config.shape()));
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        if (!input.equals(shape())) {
            throw new ShapeException("Input '" + name() + "' declares shape " + shape() + " but was given " + input);
        }
        return input;
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
