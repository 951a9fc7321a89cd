package dlkit.layers.convolution;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.Padding;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Buf;
import dlkit.tensor.NativeOp;
import dlkit.tensor.Shape;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A libnd4j convolution op and its backprop op ({@code conv2d}, {@code depthwise_conv2d}, {@code deconv2d}; oneDNN
 * in the shipped native build) bound to views of the planned buffers, with the layer's activation run by dlkit after
 * the op. The ops share one argument layout and the input, weights, bias, output-gradient order.
 */
final class NativeConv {
    private NativeConv() {}

    /** kH, kW, sH, sW, pH, pW, dH, dW, padding mode (0 valid, 1 same), data format (1 NHWC), weight format (0: kH, kW first). */
    static long[] iArgs(int[] k, int[] s, int[] d, int ph, int pw, Padding padding) {
        return new long[] {k[0], k[1], s[0], s[1], ph, pw, d[0], d[1], padding == Padding.SAME ? 1 : 0, 1, 0};
    }

    /** Weights stored in another layout than the op takes (grouped convolution): copied in before, gradients back after. */
    interface KernelExpansion {
        Buf kernel();

        Buf kernelGrad();

        void expand();

        void contract();
    }

    static Kernel compile(BuildContext ctx, String op, long[] iArgs, long[] kernelShape, Activation act, boolean useBias,
                          @Nullable Regularizer kernelReg, @Nullable Regularizer biasReg) {
        return compile(ctx, op, iArgs, kernelShape, act, useBias, kernelReg, biasReg, null);
    }

    static Kernel compile(BuildContext ctx, String op, long[] iArgs, long[] kernelShape, Activation act, boolean useBias,
                          @Nullable Regularizer kernelReg, @Nullable Regularizer biasReg, @Nullable KernelExpansion expansion) {
        Shape in = ctx.inputShape();
        Shape out = ctx.outputShape();
        int f = out.last();
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        Buf z = act.backwardNeedsInput() ? ctx.scratch(out.size()) : y;
        // The backprop ops always write an input gradient; the first layer gets a private one nothing reads.
        Buf dx = ctx.inputGrad() != null ? ctx.inputGrad() : ctx.scratch(in.size());
        Buf w = ctx.param("kernel");
        Buf dw = ctx.grad("kernel");
        @Nullable Buf b = useBias ? ctx.param("bias") : null;
        @Nullable Buf db = useBias ? ctx.grad("bias") : null;
        boolean fused = ctx.lossFused();
        WeightPenalty penalty = WeightPenalty.of(ctx, kernelReg, w, dw, biasReg, b, db);
        long[] xs = {in.dim(0), in.dim(1), in.dim(2)};
        long[] ys = {out.dim(0), out.dim(1), f};
        INDArray wv = (expansion != null ? expansion.kernel() : w).view(kernelShape);
        INDArray dwv = (expansion != null ? expansion.kernelGrad() : dw).view(kernelShape);
        NativeOp forwardOp = new NativeOp(op, iArgs, n -> new NativeOp.Binding(
                b != null ? new INDArray[] {x.view(rows(n, xs)), wv, b.view(f)} : new INDArray[] {x.view(rows(n, xs)), wv},
                new INDArray[] {z.view(rows(n, ys))}));
        NativeOp backwardOp = new NativeOp(op + "_bp", iArgs, n -> new NativeOp.Binding(
                b != null ? new INDArray[] {x.view(rows(n, xs)), wv, b.view(f), dy.view(rows(n, ys))}
                        : new INDArray[] {x.view(rows(n, xs)), wv, dy.view(rows(n, ys))},
                b != null ? new INDArray[] {dx.view(rows(n, xs)), dwv, db.view(f)} : new INDArray[] {dx.view(rows(n, xs)), dwv}));
        int pixels = out.size() / f;
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                if (expansion != null) {
                    expansion.expand();
                }
                forwardOp.run(n);
                if (act != Activation.LINEAR) {
                    act.forward(z, y, n * pixels, f);
                }
            }

            @Override
            public void backward(int n) {
                if (!fused && act != Activation.LINEAR) {
                    act.backward(z, y, dy, dy, n * pixels, f);
                }
                backwardOp.run(n);
                if (expansion != null) {
                    expansion.contract();
                }
                penalty.addGradients();
            }

            @Override
            public double penalty() {
                return penalty.value();
            }
        };
    }

    /** An op shape for the first {@code n} samples: {@code [n, ...perSample]}. */
    private static long[] rows(int n, long[] perSample) {
        long[] s = new long[perSample.length + 1];
        s[0] = n;
        System.arraycopy(perSample, 0, s, 1, perSample.length);
        return s;
    }
}
