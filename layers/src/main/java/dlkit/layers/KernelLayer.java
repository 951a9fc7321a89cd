package dlkit.layers;

import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A layer with a {@code kernel}, an optional {@code bias} and an activation applied last: Dense and the
 * convolutions. Their shared settings, fluent setters and weights live here; each layer gives its kernel's shape and
 * bias length.
 */
public abstract class KernelLayer<C extends Record & KernelLayer.Settings & LayerConfig, B extends KernelLayer.Builder<C>, L extends Layer>
        extends AbstractLayer<C, B, L> {
    /** The settings, as record components of the same names. */
    public interface Settings {
        @NonNull Activation activation();

        boolean useBias();

        @NonNull Initializer kernelInitializer();

        @NonNull Initializer biasInitializer();

        @Nullable Regularizer kernelRegularizer();

        @Nullable Regularizer biasRegularizer();
    }

    /** Keras defaults: linear activation, bias on, Glorot-uniform kernel, zero bias, no penalties. */
    public abstract static class Builder<C extends Record & Settings & LayerConfig> extends ConfigBuilder<C> {
        public Activation activation = Activation.LINEAR;
        public boolean useBias = true;
        public Initializer kernelInitializer = Initializer.GLOROT_UNIFORM;
        public Initializer biasInitializer = Initializer.ZEROS;
        public @Nullable Regularizer kernelRegularizer;
        public @Nullable Regularizer biasRegularizer;

        protected Builder(@NonNull Class<C> type) {
            super(type);
        }
    }

    /** The checks of the shared settings, for the records' constructors. */
    protected static void check(Activation activation, Initializer kernelInitializer, Initializer biasInitializer) {
        if (activation == null) {
            throw new IllegalArgumentException("activation: expected an activation name such as \"relu\", got null");
        }
        Objects.requireNonNull(kernelInitializer, "kernel_initializer");
        Objects.requireNonNull(biasInitializer, "bias_initializer");
    }

    protected KernelLayer(@NonNull LayerType<C, B, L> type, @NonNull C config) {
        super(type, config);
    }

    public @NonNull L activation(@NonNull Activation activation) {
        return change(b -> b.activation = activation);
    }

    public @NonNull L useBias(boolean useBias) {
        return change(b -> b.useBias = useBias);
    }

    public @NonNull L kernelInitializer(@NonNull Initializer init) {
        return change(b -> b.kernelInitializer = init);
    }

    public @NonNull L biasInitializer(@NonNull Initializer init) {
        return change(b -> b.biasInitializer = init);
    }

    public @NonNull L kernelRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.kernelRegularizer = reg);
    }

    public @NonNull L biasRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.biasRegularizer = reg);
    }

    @Override
    public Activation outputActivation() {
        return config().activation();
    }

    /** The kernel's shape for samples shaped {@code input}. */
    protected abstract int @NonNull [] kernelShape(@NonNull Shape input);

    /** The bias length (the output channels). */
    protected abstract int biasSize(@NonNull Shape input);

    @Override
    public List<ParamSpec> params(Shape input) {
        C c = config();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", kernelShape(input), c.kernelInitializer(), c.kernelRegularizer()));
        if (c.useBias()) {
            p.add(new ParamSpec("bias", new int[] {biasSize(input)}, c.biasInitializer(), c.biasRegularizer()));
        }
        return p;
    }
}
