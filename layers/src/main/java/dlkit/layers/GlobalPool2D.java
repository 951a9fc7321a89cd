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
        int[] argmax = max ? new int[ctx.maxBatch() * ch] : null;
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (int b = 0; b < n; b++) {
                    int xb = b * hw * ch;
                    for (int k = 0; k < ch; k++) {
                        double acc = max ? Double.NEGATIVE_INFINITY : 0;
                        int at = xb + k;
                        for (int p = 0; p < hw; p++) {
                            double v = x.get(xb + p * ch + k);
                            if (max) {
                                if (v > acc) {
                                    acc = v;
                                    at = xb + p * ch + k;
                                }
                            } else {
                                acc += v;
                            }
                        }
                        y.set(b * ch + k, max ? acc : acc / hw);
                        if (max) {
                            argmax[b * ch + k] = at;
                        }
                    }
                }
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                if (max) {
                    dx.fill(0, n * hw * ch);
                    for (int o = 0; o < n * ch; o++) {
                        dx.add(argmax[o], dy.get(o));
                    }
                    return;
                }
                for (int b = 0; b < n; b++) {
                    for (int p = 0; p < hw; p++) {
                        for (int k = 0; k < ch; k++) {
                            dx.set(b * hw * ch + p * ch + k, dy.get(b * ch + k) / hw);
                        }
                    }
                }
            }
        };
    }
}
