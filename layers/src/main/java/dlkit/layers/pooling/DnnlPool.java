package dlkit.layers.pooling;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.tensor.Buf;
import dlkit.tensor.Dnnl;
import dlkit.tensor.Shape;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_pooling_v2_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.jspecify.annotations.Nullable;

/**
 * Max and average pooling, windowed or global (padding excluded from averages, as Keras) on oneDNN's pooling primitives over dlkit's NHWC
 * buffers, built once per batch size. Max pooling records each window's winner in a workspace during the forward
 * pass — the first maximum in row-major window order, Keras' tie rule — so backward is one scatter.
 */
final class DnnlPool implements Kernel {
    private final Dnnl.Session session = new Dnnl.Session(this);
    /** Primitives per batch size, built on first use (the batch size and at most one remainder); an array, so a step allocates nothing. */
    private final Plan[] plans;
    private final Shape in;
    private final Shape out;
    private final int alg;
    private final long[] kernel;
    private final long[] strides;
    private final long[] padL;
    private final long[] padR;
    private final Buf x;
    private final Buf y;
    private final Buf dy;
    private final @Nullable Buf dx;

    static boolean applies(BuildContext ctx) {
        return ctx.input() instanceof Buf.F32 && Dnnl.available();
    }

    DnnlPool(BuildContext ctx, Pooling2D.Config c, boolean max) {
        this(ctx, ctx.inputShape(), ctx.outputShape(), c.poolSize().get(0), c.poolSize().get(1), c.stride().get(0), c.stride().get(1),
                c.padding().padBefore(ctx.inputShape().dim(0), ctx.outputShape().dim(0), c.poolSize().get(0), c.stride().get(0), 1),
                c.padding().padBefore(ctx.inputShape().dim(1), ctx.outputShape().dim(1), c.poolSize().get(1), c.stride().get(1), 1), max);
    }

    /** Global pooling: each sample's positions as one window over images seen as {@code [1, positions, channels]}. */
    static DnnlPool global(BuildContext ctx, boolean max) {
        int ch = ctx.inputShape().last();
        int positions = ctx.inputShape().size() / ch;
        return new DnnlPool(ctx, Shape.of(1, positions, ch), Shape.of(1, 1, ch), 1, positions, 1, positions, 0, 0, max);
    }

    private DnnlPool(BuildContext ctx, Shape in, Shape out, int kh, int kw, int sh, int sw, int ph, int pw, boolean max) {
        this.in = in;
        this.plans = new Plan[ctx.maxBatch() + 1];
        this.out = out;
        alg = max ? dnnl_pooling_max : dnnl_pooling_avg_exclude_padding;
        kernel = new long[] {kh, kw};
        strides = new long[] {sh, sw};
        padL = new long[] {ph, pw};
        // What a window past the image's end would cover; a "valid" remainder that no window reaches counts as 0.
        padR = new long[] {
            Math.max(0, (long) (out.dim(0) - 1) * sh + kh - in.dim(0) - ph),
            Math.max(0, (long) (out.dim(1) - 1) * sw + kw - in.dim(1) - pw)};
        x = ctx.input();
        y = ctx.output();
        dy = ctx.outputGrad();
        dx = ctx.inputGrad();
    }

    @Override
    public void forward(int n, boolean training, long step) {
        plan(n).forward.run();
    }

    @Override
    public void backward(int n) {
        Plan p = plan(n);
        if (p.backward != null) {
            p.backward.run();
        }
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
        final Dnnl.Step forward;
        final Dnnl.@Nullable Step backward;

        Plan(int n) {
            dnnl_memory_desc_t src = Dnnl.md(new long[] {n, in.dim(2), in.dim(0), in.dim(1)}, dnnl_nhwc);
            dnnl_memory_desc_t dst = Dnnl.md(new long[] {n, out.dim(2), out.dim(0), out.dim(1)}, dnnl_nhwc);
            long[] noDilation = {0, 0};
            String what = "pooling " + in + " -> " + out;
            dnnl_pooling_v2_desc_t fd = new dnnl_pooling_v2_desc_t();
            Dnnl.check(dnnl_pooling_v2_forward_desc_init(fd, dnnl_forward_training, alg, src, dst, strides, kernel, noDilation, padL, padR), "describing " + what);
            dnnl_primitive_desc fpd = session.describe(fd, null, what);
            dnnl_memory_desc_t wsMd = session.query(fpd, dnnl_query_workspace_md);
            dnnl_memory ws = wsMd != null && !wsMd.isNull() && dnnl_memory_desc_get_size(wsMd) > 0 ? session.allocate(wsMd) : null;
            dnnl_memory xm = session.memory(src, x);
            dnnl_memory ym = session.memory(dst, y);
            forward = ws != null
                    ? session.step(fpd, DNNL_ARG_SRC, xm, DNNL_ARG_DST, ym, DNNL_ARG_WORKSPACE, ws)
                    : session.step(fpd, DNNL_ARG_SRC, xm, DNNL_ARG_DST, ym);
            if (dx == null) {
                backward = null;
                return;
            }
            dnnl_pooling_v2_desc_t bd = new dnnl_pooling_v2_desc_t();
            Dnnl.check(dnnl_pooling_v2_backward_desc_init(bd, alg, src, dst, strides, kernel, noDilation, padL, padR), "describing " + what);
            dnnl_primitive_desc bpd = session.describe(bd, fpd, what + " (backward)");
            dnnl_memory dym = session.memory(dst, dy);
            dnnl_memory dxm = session.memory(src, dx);
            backward = ws != null
                    ? session.step(bpd, DNNL_ARG_DIFF_DST, dym, DNNL_ARG_DIFF_SRC, dxm, DNNL_ARG_WORKSPACE, ws)
                    : session.step(bpd, DNNL_ARG_DIFF_DST, dym, DNNL_ARG_DIFF_SRC, dxm);
        }
    }

}
