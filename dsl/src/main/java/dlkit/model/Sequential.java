package dlkit.model;

import dlkit.layers.Layer;
import dlkit.tensor.DType;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;

/** A plain stack of layers, each feeding the next: {@code Sequential.of(Input.of(784), Dense.of(10), ...)}. */
public final class Sequential extends Model {
    public Sequential(@NonNull String name, @NonNull List<? extends Layer> layers, @NonNull DType dtype) {
        super(name, layers, dtype);
    }

    Sequential(String name, List<? extends Layer> layers, DType dtype, Set<String> frozen) {
        super(name, layers, dtype, frozen);
    }

    @Override
    Model copy(String name, DType dtype, Set<String> frozen) {
        return new Sequential(name, layers(), dtype, frozen);
    }

    public static @NonNull Sequential of(@NonNull Layer... layers) {
        return new Sequential("sequential", List.of(layers), DType.FLOAT32);
    }

    public static @NonNull Sequential of(@NonNull List<? extends Layer> layers) {
        return new Sequential("sequential", layers, DType.FLOAT32);
    }

    /** The same architecture under another name (weights are not copied). */
    public @NonNull Sequential named(@NonNull String name) {
        return (Sequential) copy(name, dtype(), Set.copyOf(frozenLayers()));
    }

    /** The same architecture in another precision (weights are not copied). */
    public @NonNull Sequential withDType(@NonNull DType dtype) {
        return (Sequential) copy(name(), dtype, Set.copyOf(frozenLayers()));
    }
}
