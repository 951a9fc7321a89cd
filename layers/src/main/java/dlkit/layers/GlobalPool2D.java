package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import org.jspecify.annotations.Nullable;

/**
 * The shared shape rules and kernels of the global pooling layers: [h, w, c] → [c] (2-D) and [steps, c] → [c] (1-D).
 * The kernels reduce every position of a sample, whatever its rank.
 */
final class GlobalPool2D {
    /** Keras' config: {@code keepdims} keeps [1, 1, c]. */
    record Config(@Nullable String name, String dataFormat, boolean keepdims) {
        Config {
            if (!"channels_last".equals(dataFormat)) {
                throw new IllegalArgumentException("data_format: only \"channels_last\" is supported, got \"" + dataFormat + "\"");
            }
        }
    }

    private GlobalPool2D() {}

    static Shape outputShape(String type, @Nullable String name, Config c, Shape input) {
        if (input.rank() != 3) {
            throw new ShapeException(type + " '" + name + "' expects samples shaped [height, width, channels], got " + input);
        }
        return c.keepdims() ? Shape.of(1, 1, input.dim(2)) : Shape.of(input.dim(2));
    }

    static Shape outputShape1d(String type, @Nullable String name, Config c, Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException(type + " '" + name + "' expects samples shaped [steps, channels], got " + input);
        }
        return c.keepdims() ? Shape.of(1, input.dim(1)) : Shape.of(input.dim(1));
    }

    static Kernel compile(BuildContext ctx, boolean max) {
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
