package dlkit.layers.convolution;

import dlkit.layers.AbstractLayer;
import dlkit.layers.Activation;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.DataFormat;
import dlkit.layers.Initializer;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Padding;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * What Conv1D, Conv2D and Conv2DTranspose share: Keras' convolution settings (filters, kernel size, strides,
 * padding, dilation, activation, bias, initializers, regularizers), their checks and fluent setters, and the weights
 * {@code kernel} (shaped by each layer) and {@code bias [filters]}.
 */
public abstract sealed class Convolution<C extends Record & Convolution.Options & LayerConfig<B>, B extends Convolution.Builder<C>, L extends Layer>
        extends AbstractLayer<C, B, L> permits Conv1D, Conv2D, Conv2DTranspose {
    /** The settings every convolution config has, as record components of the same names. */
    public interface Options {
        @Nullable String name();

        int filters();

        @NonNull List<Integer> kernelSize();

        @NonNull List<Integer> strides();

        @NonNull Padding padding();

        @NonNull DataFormat dataFormat();

        @NonNull List<Integer> dilationRate();

        @NonNull Activation activation();

        boolean useBias();

        @NonNull Initializer kernelInitializer();

        @NonNull Initializer biasInitializer();

        @Nullable Regularizer kernelRegularizer();

        @Nullable Regularizer biasRegularizer();
    }

    /** Keras defaults: strides 1, valid padding, no dilation, linear activation, bias, Glorot-uniform kernel, zero bias. */
    public abstract static class Builder<C extends LayerConfig<?>> extends ConfigBuilder<C> {
        public int filters = 1;
        public List<Integer> kernelSize;
        public List<Integer> strides;
        public Padding padding = Padding.VALID;
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
        public List<Integer> dilationRate;
        public Activation activation = Activation.LINEAR;
        public boolean useBias = true;
        public Initializer kernelInitializer = Initializer.GLOROT_UNIFORM;
        public Initializer biasInitializer = Initializer.ZEROS;
        public @Nullable Regularizer kernelRegularizer;
        public @Nullable Regularizer biasRegularizer;

        /** {@code ones}: the unit size list for the layer's rank ([1] or [1, 1]) that strides and dilation start from. */
        protected Builder(List<Integer> ones) {
            this.kernelSize = ones;
            this.strides = ones;
            this.dilationRate = ones;
        }

        /** Takes the shared settings of {@code c}. */
        protected final void copy(Options c) {
            name = c.name();
            filters = c.filters();
            kernelSize = c.kernelSize();
            strides = c.strides();
            padding = c.padding();
            dataFormat = c.dataFormat();
            dilationRate = c.dilationRate();
            activation = c.activation();
            useBias = c.useBias();
            kernelInitializer = c.kernelInitializer();
            biasInitializer = c.biasInitializer();
            kernelRegularizer = c.kernelRegularizer();
            biasRegularizer = c.biasRegularizer();
        }
    }

    /** The checks every convolution config runs, on its values after the size lists are normalised. */
    static void check(int filters, List<Integer> strides, List<Integer> dilationRate, Padding padding, DataFormat dataFormat,
                      Activation activation, Initializer kernelInitializer, Initializer biasInitializer) {
        if (filters <= 0) {
            throw new IllegalArgumentException("filters: expected a positive integer, got " + filters);
        }
        if (strides.stream().anyMatch(s -> s > 1) && dilationRate.stream().anyMatch(d -> d > 1)) {
            throw new IllegalArgumentException("strides > 1 together with dilation_rate > 1 is not supported (as in Keras)");
        }
        Objects.requireNonNull(padding, "padding");
        Objects.requireNonNull(dataFormat, "data_format");
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(kernelInitializer, "kernel_initializer");
        Objects.requireNonNull(biasInitializer, "bias_initializer");
    }

    Convolution(LayerType<C, L> type, C config) {
        super(type, config);
    }

    public @NonNull L padding(@NonNull Padding padding) {
        return change(b -> b.padding = padding);
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

    public @NonNull L kernelRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.kernelRegularizer = reg);
    }

    @Override
    public Activation outputActivation() {
        return config().activation();
    }

    /** The kernel's shape for samples shaped {@code input}. */
    abstract int @NonNull [] kernelShape(@NonNull Shape input);

    @Override
    public List<ParamSpec> params(Shape input) {
        C c = config();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", kernelShape(input), c.kernelInitializer(), c.kernelRegularizer()));
        if (c.useBias()) {
            p.add(new ParamSpec("bias", new int[] {c.filters()}, c.biasInitializer(), c.biasRegularizer()));
        }
        return p;
    }
}
