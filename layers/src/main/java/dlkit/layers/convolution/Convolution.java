package dlkit.layers.convolution;

import dlkit.layers.Activation;
import dlkit.layers.DataFormat;
import dlkit.layers.Initializer;
import dlkit.layers.KernelLayer;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.Padding;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * What Conv1D, Conv2D and Conv2DTranspose share beyond a {@link KernelLayer}'s settings: Keras' convolution
 * settings (filters, kernel size, strides, padding, dilation), their checks, and a bias of {@code filters}.
 */
public abstract sealed class Convolution<C extends Record & Convolution.Options & LayerConfig, B extends Convolution.Builder<C>, L extends Layer>
        extends KernelLayer<C, B, L> permits Conv1D, Conv2D, Conv2DTranspose {
    /** The settings every convolution config has, as record components of the same names. */
    public interface Options extends KernelLayer.Settings {
        @Nullable String name();

        int filters();

        @NonNull List<Integer> kernelSize();

        @NonNull List<Integer> strides();

        @NonNull Padding padding();

        @NonNull DataFormat dataFormat();

        @NonNull List<Integer> dilationRate();
    }

    /** Keras defaults: strides 1, valid padding, no dilation (and {@link KernelLayer.Builder}'s). */
    public abstract static class Builder<C extends Record & Options & LayerConfig> extends KernelLayer.Builder<C> {
        public int filters = 1;
        public List<Integer> kernelSize;
        public List<Integer> strides;
        public Padding padding = Padding.VALID;
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
        public List<Integer> dilationRate;

        /** {@code ones}: the unit size list for the layer's rank ([1] or [1, 1]) that strides and dilation start from. */
        protected Builder(Class<C> type, List<Integer> ones) {
            super(type);
            this.kernelSize = ones;
            this.strides = ones;
            this.dilationRate = ones;
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
        Padding.requireNotCausal(Objects.requireNonNull(padding, "padding"));
        Objects.requireNonNull(dataFormat, "data_format");
        KernelLayer.check(activation, kernelInitializer, biasInitializer);
    }

    Convolution(LayerType<C, B, L> type, C config) {
        super(type, config);
    }

    public @NonNull L padding(@NonNull Padding padding) {
        return change(b -> b.padding = padding);
    }

    @Override
    protected int biasSize(Shape input) {
        return config().filters();
    }
}
