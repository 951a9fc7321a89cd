package dlkit.layers.convolution;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.Regularizer;
import dlkit.layers.internal.DnnlActivation;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Buf;
import dlkit.tensor.Dnnl;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_convolution_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.jspecify.annotations.Nullable;

/**
 * A channels-last 2-D convolution (any groups, strides, dilation, padding) on oneDNN's forward, backward-data and
 * backward-weights primitives, built once per batch size and reused every step. Activations stay in dlkit's NHWC
 * buffers, which oneDNN's AVX2/AVX-512 kernels read and write directly (measured on the Fashion-MNIST CNN: as fast as
 * its blocked layouts, without their reorders); only the kernel is reordered to the blocked layout oneDNN prefers
 * (once per step, a few KB), and its gradient back. ReLU, tanh, sigmoid and ELU run as a post-op of the convolution
 * and their gradient as one oneDNN pass from the output; other activations as dlkit kernels.
 */
final class DnnlConv implements Kernel {
    private final Dnnl.Session session = new Dnnl.Session(this);
    /** Primitives per batch size, built on first use (the batch size and at most one remainder); an array, so a step allocates nothing. */
    private final Plan[] plans;
    private final Shape in;
    private final Shape out;
    private final int[] kernel;
    private final long[] strides;
    private final long[] dilates;
    private final long[] padL;
    private final long[] padR;
    private final int groups;
    private final Activation act;
    private final Buf x;
    private final Buf y;
    private final Buf z;
    private final Buf dy;
    private final @Nullable Buf dx;
    private final Buf w;
    private final Buf dw;
    private final @Nullable Buf b;
    private final @Nullable Buf db;
    private final boolean fused;
    private final WeightPenalty penalty;
    private final int pixels;
    /** The activation as oneDNN's post-op on the convolution (its "use dst for backward" form), or 0 when dlkit runs it. */
    private final int fusedAct;

    /** The fixed rule: float32 plans on a platform where {@link Dnnl#available()} holds (float64 gradient checks never). */
    static boolean applies(BuildContext ctx) {
        return ctx.input() instanceof Buf.F32 && Dnnl.available();
    }

    DnnlConv(BuildContext ctx, ConvWindow window, int groups, Activation act, boolean useBias,
             @Nullable Regularizer kernelReg, @Nullable Regularizer biasReg) {
        this.in = ctx.inputShape();
        this.plans = new Plan[ctx.maxBatch() + 1];
        this.out = ctx.outputShape();
        int pt = window.padTop(in, out);
        int pl = window.padLeft(in, out);
        int[] k = window.k();
        int[] s = window.s();
        int[] d = window.d();
        // oneDNN counts dilation from 0 and takes the padding after the image explicitly.
        this.kernel = k;
        this.strides = new long[] {s[0], s[1]};
        this.dilates = new long[] {d[0] - 1, d[1] - 1};
        this.padL = new long[] {pt, pl};
        // (A "valid" remainder no window reaches counts as 0: oneDNN's output size rounds down as Keras' does.)
        this.padR = new long[] {
            Math.max(0, (long) (out.dim(0) - 1) * s[0] + (long) (k[0] - 1) * d[0] + 1 - in.dim(0) - pt),
            Math.max(0, (long) (out.dim(1) - 1) * s[1] + (long) (k[1] - 1) * d[1] + 1 - in.dim(1) - pl)};
        this.groups = groups;
        this.act = act;
        this.x = ctx.input();
        this.y = ctx.output();
        this.dy = ctx.outputGrad();
        // The loss may take the gradient past a softmax/sigmoid output itself (fused): then dlkit keeps the activation.
        this.fusedAct = DnnlActivation.postOp(act, ctx.lossFused());
        this.z = fusedAct == 0 && act.backwardNeedsInput() ? ctx.scratch(out.size()) : y;
        this.dx = ctx.inputGrad();
        this.w = ctx.param("kernel");
        this.dw = ctx.grad("kernel");
        this.b = useBias ? ctx.param("bias") : null;
        this.db = useBias ? ctx.grad("bias") : null;
        this.fused = ctx.lossFused();
        this.penalty = WeightPenalty.of(ctx, kernelReg, w, dw, biasReg, b, db);
        this.pixels = out.size() / out.last();
    }

    @Override
    public void forward(int n, boolean training, long step) {
        Plan p = plan(n);
        Dnnl.run(p.forward);
        if (act != Activation.LINEAR && fusedAct == 0) {
            act.forward(z, y, n * pixels, out.last());
        }
    }

    @Override
    public void backward(int n) {
        Plan p = plan(n);
        if (fusedAct != 0) {
            Dnnl.run(p.activationGrad);
        } else if (!fused && act != Activation.LINEAR) {
            act.backward(z, y, dy, dy, n * pixels, out.last());
        }
        Dnnl.run(p.backwardData);
        Dnnl.run(p.backwardWeights);
        penalty.addGradients();
    }

    @Override
    public double penalty() {
        return penalty.value();
    }

    private Plan plan(int n) {
        Plan p = plans[n];
        if (p == null) {
            p = new Plan(n);
            plans[n] = p;
        }
        return p;
    }

    private final class Plan {
        final List<Dnnl.Step> forward = new ArrayList<>();
        final List<Dnnl.Step> activationGrad = new ArrayList<>();
        final List<Dnnl.Step> backwardData = new ArrayList<>();
        final List<Dnnl.Step> backwardWeights = new ArrayList<>();
        private final List<Converted> converted = new ArrayList<>();

        /** A user tensor in a primitive's layout: its memory, and the reorder that filled it (run once, where first needed). */
        private record Converted(dnnl_memory user, dnnl_memory_desc_t md, dnnl_memory memory) {}

        Plan(int n) {
            int c = in.dim(2);
            int f = out.last();
            dnnl_memory_desc_t src = Dnnl.md(new long[] {n, c, in.dim(0), in.dim(1)}, dnnl_nhwc);
            dnnl_memory_desc_t dst = Dnnl.md(new long[] {n, f, out.dim(0), out.dim(1)}, dnnl_nhwc);
            long[] kernelDims = weightDims(c, f);
            dnnl_memory_desc_t userW = Dnnl.md(kernelDims, groups == 1 ? dnnl_hwio : dnnl_hwigo);
            dnnl_memory_desc_t anyW = Dnnl.md(kernelDims, dnnl_format_tag_any);
            dnnl_memory_desc_t bias = b != null ? Dnnl.md(new long[] {f}, dnnl_x) : null;
            String what = "a convolution " + in + " -> " + out;
            dnnl_memory xm = session.memory(src, x);
            dnnl_memory zm = session.memory(dst, z);
            dnnl_memory wm = session.memory(userW, w);
            dnnl_memory dym = session.memory(dst, dy);
            dnnl_memory dwm = session.memory(userW, dw);

            dnnl_convolution_desc_t fd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_dilated_convolution_forward_desc_init(fd, dnnl_forward_training, dnnl_convolution_direct, src, anyW,
                    bias, dst, strides, dilates, padL, padR), "describing " + what);
            dnnl_primitive_desc fpd = session.describe(fd, null, fusedAct, DnnlActivation.alpha(fusedAct), what);
            dnnl_memory fx = input(xm, src, session.query(fpd, dnnl_query_src_md), forward);
            dnnl_memory fw = input(wm, userW, session.query(fpd, dnnl_query_weights_md), forward);
            dnnl_memory_desc_t fdst = session.query(fpd, dnnl_query_dst_md);
            dnnl_memory fz = same(fdst, dst) ? zm : session.allocate(fdst);
            forward.add(b != null
                    ? session.step(fpd, DNNL_ARG_SRC, fx, DNNL_ARG_WEIGHTS, fw, DNNL_ARG_BIAS, session.memory(bias, b), DNNL_ARG_DST, fz)
                    : session.step(fpd, DNNL_ARG_SRC, fx, DNNL_ARG_WEIGHTS, fw, DNNL_ARG_DST, fz));
            addIfAny(forward, session.reorder(fz, fdst, zm, dst));
            if (fusedAct != 0) {
                activationGrad.add(DnnlActivation.gradient(session, fusedAct, dst, zm, dym, what));
            }

            if (dx != null) {
                dnnl_convolution_desc_t bd = new dnnl_convolution_desc_t();
                Dnnl.check(dnnl_dilated_convolution_backward_data_desc_init(bd, dnnl_convolution_direct, src, anyW, dst,
                        strides, dilates, padL, padR), "describing " + what);
                dnnl_primitive_desc bpd = session.describe(bd, fpd, what + " (backward data)");
                dnnl_memory bdy = input(dym, dst, session.query(bpd, dnnl_query_diff_dst_md), backwardData);
                dnnl_memory bw = input(wm, userW, session.query(bpd, dnnl_query_weights_md), backwardData);
                dnnl_memory_desc_t bdx = session.query(bpd, dnnl_query_diff_src_md);
                dnnl_memory dxm = session.memory(src, dx);
                dnnl_memory bdxm = same(bdx, src) ? dxm : session.allocate(bdx);
                backwardData.add(session.step(bpd, DNNL_ARG_DIFF_DST, bdy, DNNL_ARG_WEIGHTS, bw, DNNL_ARG_DIFF_SRC, bdxm));
                addIfAny(backwardData, session.reorder(bdxm, bdx, dxm, src));
            }

            dnnl_convolution_desc_t wd = new dnnl_convolution_desc_t();
            Dnnl.check(dnnl_dilated_convolution_backward_weights_desc_init(wd, dnnl_convolution_direct, src, anyW,
                    bias, dst, strides, dilates, padL, padR), "describing " + what);
            dnnl_primitive_desc wpd = session.describe(wd, fpd, what + " (backward weights)");
            dnnl_memory wx = input(xm, src, session.query(wpd, dnnl_query_src_md), backwardWeights);
            dnnl_memory wdy = input(dym, dst, session.query(wpd, dnnl_query_diff_dst_md), backwardWeights);
            dnnl_memory_desc_t gw = session.query(wpd, dnnl_query_diff_weights_md);
            dnnl_memory gwm = same(gw, userW) ? dwm : session.allocate(gw);
            backwardWeights.add(b != null
                    ? session.step(wpd, DNNL_ARG_SRC, wx, DNNL_ARG_DIFF_DST, wdy, DNNL_ARG_DIFF_WEIGHTS, gwm, DNNL_ARG_DIFF_BIAS, session.memory(bias, db))
                    : session.step(wpd, DNNL_ARG_SRC, wx, DNNL_ARG_DIFF_DST, wdy, DNNL_ARG_DIFF_WEIGHTS, gwm));
            addIfAny(backwardWeights, session.reorder(gwm, gw, dwm, userW));
        }

        /**
         * {@code user} as a primitive wants it: the user memory itself when the layouts agree, else a private copy
         * whose reorder joins {@code phase} — unless an earlier phase of this step already made that copy (the input
         * and the kernel do not change between forward and backward, nor the output gradient between its two uses).
         */
        private dnnl_memory input(dnnl_memory user, dnnl_memory_desc_t userMd, dnnl_memory_desc_t want, List<Dnnl.Step> phase) {
            if (same(want, userMd)) {
                return user;
            }
            for (Converted c : converted) {
                if (c.user() == user && same(c.md(), want)) {
                    return c.memory();
                }
            }
            dnnl_memory copy = session.allocate(want);
            phase.add(session.reorder(user, userMd, copy, want));
            converted.add(new Converted(user, want, copy));
            return copy;
        }

        private static void addIfAny(List<Dnnl.Step> phase, Dnnl.@Nullable Step step) {
            if (step != null) {
                phase.add(step);
            }
        }
    }

    /** oneDNN's logical kernel dims: {@code [F, C, kh, kw]}, or {@code [G, F/G, C/G, kh, kw]} when grouped. */
    private long[] weightDims(int c, int f) {
        return groups == 1
                ? new long[] {f, c, kernel[0], kernel[1]}
                : new long[] {groups, f / groups, c / groups, kernel[0], kernel[1]};
    }

    private static boolean same(dnnl_memory_desc_t a, dnnl_memory_desc_t b) {
        return dnnl_memory_desc_equal(a, b) != 0;
    }

}
