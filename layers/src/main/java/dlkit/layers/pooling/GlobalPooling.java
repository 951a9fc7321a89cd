package dlkit.layers.pooling;

import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.DataFormat;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Global max and average pooling: each channel of an image {@code [h, w, c]} (2-D) or a sequence {@code [steps, c]}
 * (1-D) reduced to one value, {@code [c]} ({@code [1, 1, c]} or {@code [1, c]} with {@code keepdims}). The kernel
 * reduces every position of a sample, whatever its rank.
 */
public abstract sealed class GlobalPooling<L extends Layer> extends AbstractLayer<GlobalPooling.Config, GlobalPooling.Builder, L>
        permits GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D {
    public record Config(@Nullable String name, @NonNull DataFormat dataFormat, boolean keepdims) implements LayerConfig {
        public Config {
            Objects.requireNonNull(dataFormat, "data_format");
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
        public boolean keepdims;

        public Builder() {
            super(Config.class);
        }
    }

    private final boolean max;
    private final boolean image;

    /** {@code image}: samples are [h, w, c] (the 2-D layers), else [steps, c]. */
    GlobalPooling(LayerType<Config, Builder, L> type, Config config, boolean max, boolean image) {
        super(type, config);
        this.max = max;
        this.image = image;
    }

    public @NonNull L keepdims(boolean keep) {
        return change(b -> b.keepdims = keep);
    }

    @Override
    public Shape outputShape(Shape input) {
        if (image) {
            Sizes.requireImage(type(), name(), input);
        } else {
            Sizes.requireSequence(type(), name(), input);
        }
        int ch = input.last();
        return !config().keepdims() ? Shape.of(ch) : image ? Shape.of(1, 1, ch) : Shape.of(1, ch);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        if (DnnlPool.applies(ctx)) {
            return DnnlPool.global(ctx, max);
        }
        Shape in = ctx.inputShape();
        int ch = in.last();
        int hw = in.size() / ch;
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int mb = ctx.maxBatch();
        int[] argmax = max ? new int[mb * ch] : null;
        // Bulk copies to heap arrays and plain loops: element-wise buffer access costs more than the arithmetic.
        double[] xs = new double[mb * hw * ch];
        double[] ys = new double[mb * ch];
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                x.get(0, xs, 0, n * hw * ch);
                for (int b = 0; b < n; b++) {
                    int xb = b * hw * ch;
                    int yb = b * ch;
                    if (max) {
                        for (int k = 0; k < ch; k++) {
                            ys[yb + k] = Double.NEGATIVE_INFINITY;
                            argmax[yb + k] = xb + k;
                        }
                        for (int p = 0; p < hw; p++) {
                            int row = xb + p * ch;
                            for (int k = 0; k < ch; k++) {
                                if (xs[row + k] > ys[yb + k]) {
                                    ys[yb + k] = xs[row + k];
                                    argmax[yb + k] = row + k;
                                }
                            }
                        }
                    } else {
                        java.util.Arrays.fill(ys, yb, yb + ch, 0);
                        for (int p = 0; p < hw; p++) {
                            int row = xb + p * ch;
                            for (int k = 0; k < ch; k++) {
                                ys[yb + k] += xs[row + k];
                            }
                        }
                        for (int k = 0; k < ch; k++) {
                            ys[yb + k] /= hw;
                        }
                    }
                }
                y.put(0, ys, 0, n * ch);
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                dy.get(0, ys, 0, n * ch);
                if (max) {
                    java.util.Arrays.fill(xs, 0, n * hw * ch, 0);
                    for (int o = 0; o < n * ch; o++) {
                        xs[argmax[o]] += ys[o];
                    }
                } else {
                    for (int b = 0; b < n; b++) {
                        int xb = b * hw * ch;
                        int yb = b * ch;
                        for (int p = 0; p < hw; p++) {
                            int row = xb + p * ch;
                            for (int k = 0; k < ch; k++) {
                                xs[row + k] = ys[yb + k] / hw;
                            }
                        }
                    }
                }
                dx.put(0, xs, 0, n * hw * ch);
            }
        };
    }
}
