package dlkit.layers.preprocessing;

import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.MaskRule;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Shape;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * A layer that maps raw features to what the rest of the model was trained on — {@link Rescaling},
 * {@link Normalization} — so the pipeline travels inside the model: a saved model, {@code dl predict} and a server
 * all take raw data. Each output element is an affine function of the input element at the same position, with
 * one of the layer's statistics chosen by that position.
 */
public abstract sealed class Preprocessing<C extends Record & LayerConfig, B extends ConfigBuilder<C>, L extends Layer>
        extends AbstractLayer<C, B, L> permits Rescaling, Normalization {
    Preprocessing(LayerType<C, B, L> type, C config) {
        super(type, config);
    }

    /**
     * For each position of a sample shaped {@code shape}, the index of its statistic; null when one statistic
     * serves all. Raises a ShapeException naming the layer when the configured statistics do not fit the shape.
     */
    abstract int @Nullable [] statistics(Shape shape);

    /** The float32 output for {@code x} under statistic {@code s}: the one formula the kernel and {@link #transform} share. */
    abstract float apply(float x, int s);

    abstract double apply(double x, int s);

    /** dy/dx under statistic {@code s}. */
    abstract double slope(int s);

    /**
     * The layer as constants, for formats that write it as {@code x · slope + intercept} (ONNX export): at each
     * position of a sample shaped {@code sample}, {@code [0]} the slope and {@code [1]} the intercept.
     */
    public final double @NonNull [] @NonNull [] affine(@NonNull Shape sample) {
        int[] stat = statistics(sample);
        double[][] ab = new double[2][sample.size()];
        for (int p = 0; p < sample.size(); p++) {
            int s = stat == null ? 0 : stat[p];
            ab[0][p] = slope(s);
            ab[1][p] = apply(0.0, s);
        }
        return ab;
    }

    @Override
    public final @NonNull Shape outputShape(@NonNull Shape input) {
        statistics(input);
        return input;
    }

    @Override
    public final @NonNull MaskRule maskRule() {
        return MaskRule.PASS;
    }

    /**
     * This layer's function on data outside a model: {@code values} are whole samples shaped {@code shape}; the
     * result is bit for bit what the compiled float32 layer computes (an autoencoder's targets use it).
     */
    public final float @NonNull [] transform(float @NonNull [] values, @NonNull Shape shape) {
        int[] stat = statistics(shape);
        int size = shape.size();
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = apply(values[i], stat == null ? 0 : stat[i % size]);
        }
        return out;
    }

    @Override
    public final Kernel compile(BuildContext ctx) {
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int size = ctx.inputShape().size();
        int[] stat = statistics(ctx.inputShape());
        boolean f32 = ctx.dtype() == DType.FLOAT32;

        // float32 runs on a heap copy: bulk copies and a plain loop, the arithmetic exactly as transform() does it.
        float[] buffer = f32 ? new float[Math.multiplyExact(ctx.maxBatch(), size)] : null;
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                int count = n * size;
                if (buffer != null) {
                    x.get(0, buffer, 0, count);
                    for (int i = 0; i < count; i++) {
                        buffer[i] = apply(buffer[i], stat == null ? 0 : stat[i % size]);
                    }
                    y.put(0, buffer, 0, count);
                } else {
                    for (int i = 0; i < count; i++) {
                        y.set(i, apply(x.get(i), stat == null ? 0 : stat[i % size]));
                    }
                }
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                for (int i = 0, count = n * size; i < count; i++) {
                    dx.set(i, dy.get(i) * slope(stat == null ? 0 : stat[i % size]));
                }
            }
        };
    }
}
