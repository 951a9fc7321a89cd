package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The model's input: declares the shape of one sample (without the batch axis), like {@code keras.Input(shape=...)}. */
public final class Input extends AbstractLayer<Input.Config, Input.Builder, Input> implements SymbolicTensor {
    public record Config(@Nullable String name, @NonNull List<Integer> shape) implements LayerConfig {
        public Config {
            if (shape == null || shape.isEmpty()) {
                throw new IllegalArgumentException("shape: expected a non-empty list of positive integers");
            }
            for (Integer d : shape) {
                if (d == null || d <= 0) {
                    throw new IllegalArgumentException("shape: expected positive integers, got " + shape);
                }
            }
            shape = List.copyOf(shape);
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<Integer> shape = List.of(1);
    }

    public static final LayerType<Config, Builder, Input> TYPE = new LayerType<>("Input", Builder::new, Set.of("shape"), Input::new);

    public Input(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull Input of(int @NonNull ... shape) {
        return new Input(new Config(null, java.util.Arrays.stream(shape).boxed().toList()));
    }

    @Override
    public @NonNull Shape shape() {
        return Shape.of(config().shape());
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
