package dlkit.layers.pooling;

import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import org.jspecify.annotations.Nullable;

/** The compiled max and average pooling over channels-last images, for the 2-D layers and (as [1, steps, channels]) the 1-D ones. */
final class Pool2DKernels {
    private Pool2DKernels() {}

    static Kernel compile(BuildContext ctx, Pooling2D.Config c, boolean max) {
        if (DnnlPool.applies(ctx)) {
            return new DnnlPool(ctx, c, max);
        }
        if (max && ctx.input() instanceof Buf.F32) {
            return new MaxF32(ctx, c);
        }
        return compileJava(ctx, c, max);
    }

    /**
     * Float32 max pooling over heap copies. Forward is a plain max over each window (vectorised across channels);
     * backward routes each gradient to the first element of its window equal to the max (Keras' and libnd4j's tie
     * rule). Measured on the Fashion-MNIST CNN's first pool (batch 128, 24×24×32): libnd4j's maxpool2d took 2.2 ms
     * forward but maxpool2d_bp 11 ms, and recording winners in the forward loop cost 11 ms; this takes a few ms.
     */
    private static final class MaxF32 implements Kernel {
        private final int ih, iw, ch, oh, ow, kh, kw, sh, sw, ph, pw, inSize, outSize;
        private final Buf x;
        private final Buf y;
        private final Buf dy;
        private final @Nullable Buf dx;
        private final float[] xs;
        private final float[] ys;
        private final float[] gs;
        private final float[] dxs;
        private final boolean[] found;

        MaxF32(BuildContext ctx, Pooling2D.Config c) {
            Shape in = ctx.inputShape();
            Shape out = ctx.outputShape();
            ih = in.dim(0);
            iw = in.dim(1);
            ch = in.dim(2);
            oh = out.dim(0);
            ow = out.dim(1);
            kh = c.poolSize().get(0);
            kw = c.poolSize().get(1);
            sh = c.stride().get(0);
            sw = c.stride().get(1);
            ph = c.padding().padBefore(ih, oh, kh, sh, 1);
            pw = c.padding().padBefore(iw, ow, kw, sw, 1);
            inSize = in.size();
            outSize = out.size();
            x = ctx.input();
            y = ctx.output();
            dy = ctx.outputGrad();
            dx = ctx.inputGrad();
            xs = new float[ctx.maxBatch() * inSize];
            ys = new float[ctx.maxBatch() * outSize];
            gs = dx != null ? new float[ctx.maxBatch() * outSize] : null;
            dxs = dx != null ? new float[ctx.maxBatch() * inSize] : null;
            found = new boolean[ch];
        }

        @Override
        public void forward(int n, boolean training, long step) {
            x.get(0, xs, 0, n * inSize);
            for (int b = 0; b < n; b++) {
                int xb = b * inSize;
                for (int i = 0; i < oh; i++) {
                    int r0 = Math.max(0, i * sh - ph);
                    int r1 = Math.min(ih, i * sh - ph + kh);
                    for (int j = 0; j < ow; j++) {
                        int c0 = Math.max(0, j * sw - pw);
                        int c1 = Math.min(iw, j * sw - pw + kw);
                        int yo = b * outSize + (i * ow + j) * ch;
                        System.arraycopy(xs, xb + (r0 * iw + c0) * ch, ys, yo, ch);
                        for (int r = r0; r < r1; r++) {
                            for (int q = c0; q < c1; q++) {
                                int src = xb + (r * iw + q) * ch;
                                for (int k = 0; k < ch; k++) {
                                    ys[yo + k] = Math.max(ys[yo + k], xs[src + k]);
                                }
                            }
                        }
                    }
                }
            }
            y.put(0, ys, 0, n * outSize);
        }

        @Override
        public void backward(int n) {
            if (dx == null) {
                return;
            }
            dy.get(0, gs, 0, n * outSize);
            if (kh == 2 && kw == 2 && sh == 2 && sw == 2 && ph == 0 && pw == 0) {
                backward2x2(n);
                dx.put(0, dxs, 0, n * inSize);
                return;
            }
            java.util.Arrays.fill(dxs, 0, n * inSize, 0f);
            for (int b = 0; b < n; b++) {
                int xb = b * inSize;
                for (int i = 0; i < oh; i++) {
                    int r0 = Math.max(0, i * sh - ph);
                    int r1 = Math.min(ih, i * sh - ph + kh);
                    for (int j = 0; j < ow; j++) {
                        int c0 = Math.max(0, j * sw - pw);
                        int c1 = Math.min(iw, j * sw - pw + kw);
                        int yo = b * outSize + (i * ow + j) * ch;
                        java.util.Arrays.fill(found, false);
                        for (int r = r0; r < r1; r++) {
                            for (int q = c0; q < c1; q++) {
                                int src = xb + (r * iw + q) * ch;
                                for (int k = 0; k < ch; k++) {
                                    if (!found[k] && xs[src + k] == ys[yo + k]) {
                                        found[k] = true;
                                        dxs[src + k] += gs[yo + k];
                                    }
                                }
                            }
                        }
                    }
                }
            }
            dx.put(0, dxs, 0, n * inSize);
        }

        private static int equalMask(int a, int b) {
            int d = a ^ b;
            return ~((d | -d) >> 31);
        }

        /** The common 2×2/2 window: each input element is written exactly once, so no zero fill and no search state. */
        private void backward2x2(int n) {
            int rowLen = iw * ch;
            for (int b = 0; b < n; b++) {
                int xb = b * inSize;
                if (ih % 2 == 1 || iw % 2 == 1) {
                    java.util.Arrays.fill(dxs, xb, xb + inSize, 0f);
                }
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        int yo = b * outSize + (i * ow + j) * ch;
                        int p00 = xb + (2 * i * iw + 2 * j) * ch;
                        int p01 = p00 + ch;
                        int p10 = p00 + rowLen;
                        int p11 = p10 + ch;
                        for (int k = 0; k < ch; k++) {
                            // Branch-free first-wins routing: masks are all ones where the bits equal the max.
                            int m = Float.floatToRawIntBits(ys[yo + k]);
                            int g = Float.floatToRawIntBits(gs[yo + k]);
                            int a = equalMask(Float.floatToRawIntBits(xs[p00 + k]), m);
                            int bb = equalMask(Float.floatToRawIntBits(xs[p01 + k]), m) & ~a;
                            int c = equalMask(Float.floatToRawIntBits(xs[p10 + k]), m) & ~a & ~bb;
                            dxs[p00 + k] = Float.intBitsToFloat(g & a);
                            dxs[p01 + k] = Float.intBitsToFloat(g & bb);
                            dxs[p10 + k] = Float.intBitsToFloat(g & c);
                            dxs[p11 + k] = Float.intBitsToFloat(g & ~(a | bb | c));
                        }
                    }
                }
            }
        }
    }

    private static Kernel compileJava(BuildContext ctx, Pooling2D.Config c, boolean max) {
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int ih = in.dim(0);
        int iw = in.dim(1);
        int ch = in.dim(2);
        int oh = out.dim(0);
        int ow = out.dim(1);
        int kh = c.poolSize().get(0);
        int kw = c.poolSize().get(1);
        int sh = c.stride().get(0);
        int sw = c.stride().get(1);
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
