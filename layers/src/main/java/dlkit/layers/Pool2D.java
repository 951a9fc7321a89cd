package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The shared config, shape rule and kernels of MaxPooling2D and AveragePooling2D (channels-last). */
final class Pool2D {
    /** Keras' pooling config: strides default to the pool size. */
    record Config(@Nullable String name, int @NonNull [] poolSize, int @Nullable [] strides, @NonNull Padding padding, @NonNull String dataFormat) {
        Config {
            poolSize = Conv2D.Config.pair("pool_size", poolSize);
            strides = strides == null ? null : Conv2D.Config.pair("strides", strides);
            Objects.requireNonNull(padding, "padding");
            if (!"channels_last".equals(dataFormat)) {
                throw new IllegalArgumentException("data_format: only \"channels_last\" is supported, got \"" + dataFormat + "\"");
            }
        }

        int[] stride() {
            return strides != null ? strides : poolSize;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && Objects.equals(name, c.name) && Arrays.equals(poolSize, c.poolSize)
                    && Arrays.equals(strides, c.strides) && padding == c.padding && dataFormat.equals(c.dataFormat);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, Arrays.hashCode(poolSize), Arrays.hashCode(strides), padding);
        }

        @Override
        public String toString() {
            return "Pool2D.Config[name=" + name + ", pool_size=" + Arrays.toString(poolSize) + ", strides=" + Arrays.toString(strides) + ", padding=" + padding + "]";
        }
    }

    private Pool2D() {}

    static Shape outputShape(String type, @Nullable String name, Config c, Shape input) {
        if (input.rank() != 3) {
            throw new ShapeException(type + " '" + name + "' expects samples shaped [height, width, channels], got " + input);
        }
        int[] s = c.stride();
        int oh = c.padding().outputLength(input.dim(0), c.poolSize()[0], s[0], 1);
        int ow = c.padding().outputLength(input.dim(1), c.poolSize()[1], s[1], 1);
        if (oh < 1 || ow < 1) {
            throw new ShapeException(type + " '" + name + "': pool_size " + Arrays.toString(c.poolSize()) + " leaves no output for input "
                    + input + " with padding \"" + c.padding().jsonName() + "\"");
        }
        return Shape.of(oh, ow, input.dim(2));
    }

    static Kernel compile(BuildContext ctx, Config c, boolean max) {
        return max ? compileMax(ctx, c) : compileJava(ctx, c, false);
    }

    /** Max pooling runs libnd4j's maxpool2d/maxpool2d_bp (oneDNN): 4-5x faster than a loop over native buffers. */
    private static Kernel compileMax(BuildContext ctx, Config c) {
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int[] k = c.poolSize();
        int[] s = c.stride();
        int ph = c.padding().padBefore(in.dim(0), out.dim(0), k[0], s[0], 1);
        int pw = c.padding().padBefore(in.dim(1), out.dim(1), k[1], s[1], 1);
        // iArgs: kH, kW, sH, sW, pH, pW, dH, dW, same mode, extraParam0 (unused for max), data format (1 = NHWC)
        long[] iArgs = {k[0], k[1], s[0], s[1], ph, pw, 1, 1, c.padding() == Padding.SAME ? 1 : 0, 0, 1};
        long[] xs = {in.dim(0), in.dim(1), in.dim(2)};
        long[] ys = {out.dim(0), out.dim(1), out.dim(2)};
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        dlkit.tensor.NativeOp fwd = new dlkit.tensor.NativeOp("maxpool2d", iArgs, n -> new dlkit.tensor.NativeOp.Binding(
                new org.nd4j.linalg.api.ndarray.INDArray[] {x.view(Conv2D.rows(n, xs))}, new org.nd4j.linalg.api.ndarray.INDArray[] {y.view(Conv2D.rows(n, ys))}));
        dlkit.tensor.NativeOp bwd = dx == null ? null : new dlkit.tensor.NativeOp("maxpool2d_bp", iArgs, n -> new dlkit.tensor.NativeOp.Binding(
                new org.nd4j.linalg.api.ndarray.INDArray[] {x.view(Conv2D.rows(n, xs)), dy.view(Conv2D.rows(n, ys))},
                new org.nd4j.linalg.api.ndarray.INDArray[] {dx.view(Conv2D.rows(n, xs))}));
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                fwd.run(n);
            }

            @Override
            public void backward(int n) {
                if (bwd != null) {
                    bwd.run(n);
                }
            }
        };
    }

    private static Kernel compileJava(BuildContext ctx, Config c, boolean max) {
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int ih = in.dim(0);
        int iw = in.dim(1);
        int ch = in.dim(2);
        int oh = out.dim(0);
        int ow = out.dim(1);
        int kh = c.poolSize()[0];
        int kw = c.poolSize()[1];
        int sh = c.stride()[0];
        int sw = c.stride()[1];
        int ph = c.padding().padBefore(ih, oh, kh, sh, 1);
        int pw = c.padding().padBefore(iw, ow, kw, sw, 1);
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        int inSize = in.size();
        int outSize = out.size();
        int[] argmax = max ? new int[ctx.maxBatch() * outSize] : null;
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (int b = 0; b < n; b++) {
                    int xb = b * inSize;
                    int yb = b * outSize;
                    for (int i = 0; i < oh; i++) {
                        int r0 = Math.max(0, i * sh - ph);
                        int r1 = Math.min(ih, i * sh - ph + kh);
                        for (int j = 0; j < ow; j++) {
                            int c0 = Math.max(0, j * sw - pw);
                            int c1 = Math.min(iw, j * sw - pw + kw);
                            int yo = yb + (i * ow + j) * ch;
                            for (int k = 0; k < ch; k++) {
                                if (max) {
                                    double best = Double.NEGATIVE_INFINITY;
                                    int at = -1;
                                    for (int r = r0; r < r1; r++) {
                                        for (int q = c0; q < c1; q++) {
                                            int idx = xb + (r * iw + q) * ch + k;
                                            double v = x.get(idx);
                                            if (v > best || at < 0) {
                                                best = v;
                                                at = idx;
                                            }
                                        }
                                    }
                                    y.set(yo + k, best);
                                    argmax[yo + k] = at;
                                } else {
                                    double sum = 0;
                                    for (int r = r0; r < r1; r++) {
                                        for (int q = c0; q < c1; q++) {
                                            sum += x.get(xb + (r * iw + q) * ch + k);
                                        }
                                    }
                                    y.set(yo + k, sum / ((r1 - r0) * (c1 - c0)));
                                }
                            }
                        }
                    }
                }
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                dx.fill(0, n * inSize);
                if (max) {
                    for (int o = 0, m = n * outSize; o < m; o++) {
                        dx.add(argmax[o], dy.get(o));
                    }
                    return;
                }
                for (int b = 0; b < n; b++) {
                    int xb = b * inSize;
                    int yb = b * outSize;
                    for (int i = 0; i < oh; i++) {
                        int r0 = Math.max(0, i * sh - ph);
                        int r1 = Math.min(ih, i * sh - ph + kh);
                        for (int j = 0; j < ow; j++) {
                            int c0 = Math.max(0, j * sw - pw);
                            int c1 = Math.min(iw, j * sw - pw + kw);
                            double scale = 1.0 / ((r1 - r0) * (c1 - c0));
                            int yo = yb + (i * ow + j) * ch;
                            for (int r = r0; r < r1; r++) {
                                for (int q = c0; q < c1; q++) {
                                    int xo = xb + (r * iw + q) * ch;
                                    for (int k = 0; k < ch; k++) {
                                        dx.add(xo + k, dy.get(yo + k) * scale);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
    }
}
