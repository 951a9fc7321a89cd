package dlkit.layers.core;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.internal.DnnlActivation;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Buf;
import dlkit.tensor.Dnnl;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_inner_product_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.jspecify.annotations.Nullable;

/**
 * Dense on oneDNN's inner-product primitives, built once per batch size: {@code x · kernel + bias} with the
 * activation as a post-op, and backward as one backward-data and one backward-weights pass (the bias gradient
 * fused into the latter). The kernel {@code [in, units]} is oneDNN's {@code io}; each step reorders it to the blocked
 * layout oneDNN's kernels read, and the gradient back.
 */
final class DnnlDense implements Kernel {
    private final Dnnl.Session session = new Dnnl.Session(this);
    /** Primitives per batch size, built on first use (the batch size and at most one remainder); an array, so a step allocates nothing. */
    private final Plan[] plans;
    private final int in;
    private final int units;
    private final int rowsPerSample;
    private final Activation act;
    private final int postOp;
    private final boolean fused;
    private final Buf x;
    private final Buf y;
    private final Buf z;
    private final Buf dy;
    private final @Nullable Buf dx;
    private final Buf w;
    private final Buf dw;
    private final @Nullable Buf b;
    private final @Nullable Buf db;
    private final WeightPenalty penalty;

    /** A fixed rule on the layer's shape at the plan's batch size, so runs stay reproducible. */
    static boolean applies(BuildContext ctx) {
        long macs = (long) ctx.maxBatch() * ctx.inputShape().size() * ctx.outputShape().last();
        return macs >= MIN_MULTIPLY_ADDS && ctx.input() instanceof Buf.F32 && Dnnl.available();
    }

    static final long MIN_MULTIPLY_ADDS = 1L << 26;

    DnnlDense(BuildContext ctx, Dense.Config c) {
        in = ctx.inputShape().last();
        plans = new Plan[ctx.maxBatch() + 1];
        units = c.units();
        rowsPerSample = ctx.inputShape().size() / in;
        act = c.activation();
        fused = ctx.lossFused();
        postOp = DnnlActivation.postOp(act, fused);
        x = ctx.input();
        y = ctx.output();
        dy = ctx.outputGrad();
        dx = ctx.inputGrad();
        z = postOp == 0 && act.backwardNeedsInput() ? ctx.scratch(ctx.outputShape().size()) : y;
        w = ctx.param("kernel");
        dw = ctx.grad("kernel");
        b = c.useBias() ? ctx.param("bias") : null;
        db = c.useBias() ? ctx.grad("bias") : null;
        penalty = WeightPenalty.of(ctx, c.kernelRegularizer(), w, dw, c.biasRegularizer(), b, db);
    }

    @Override
    public void forward(int n, boolean training, long step) {
        Dnnl.run(plan(n).forward);
        if (act != Activation.LINEAR && postOp == 0) {
            act.forward(z, y, n * rowsPerSample, units);
        }
    }

    @Override
    public void backward(int n) {
        Plan p = plan(n);
        if (postOp != 0) {
            Dnnl.run(p.activationGrad);
        } else if (!fused && act != Activation.LINEAR) {
            act.backward(z, y, dy, dy, n * rowsPerSample, units);
        }
        Dnnl.run(p.backward);
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
        final List<Dnnl.Step> backward = new ArrayList<>();

        Plan(int n) {
            long rows = (long) n * rowsPerSample;
            dnnl_memory_desc_t src = Dnnl.md(new long[] {rows, in}, dnnl_nc);
            dnnl_memory_desc_t dst = Dnnl.md(new long[] {rows, units}, dnnl_nc);
            dnnl_memory_desc_t userW = Dnnl.md(new long[] {units, in}, dnnl_io);
            dnnl_memory_desc_t bias = b != null ? Dnnl.md(new long[] {units}, dnnl_x) : null;
            String what = "a dense layer " + in + " -> " + units;
            dnnl_memory xm = session.memory(src, x);
            dnnl_memory zm = session.memory(dst, z);
            dnnl_memory dym = session.memory(dst, dy);
            dnnl_memory wm = session.memory(userW, w);

            dnnl_inner_product_desc_t fd = new dnnl_inner_product_desc_t();
            Dnnl.check(dnnl_inner_product_forward_desc_init(fd, dnnl_forward_training, src, userW, bias, dst), "describing " + what);
            dnnl_primitive_desc fpd = session.describe(fd, null, postOp, DnnlActivation.alpha(postOp), what);
            dnnl_memory_desc_t fwMd = session.query(fpd, dnnl_query_weights_md);
            dnnl_memory fw = session.in(wm, userW, fwMd, forward);
            forward.add(b != null
                    ? session.step(fpd, DNNL_ARG_SRC, xm, DNNL_ARG_WEIGHTS, fw, DNNL_ARG_BIAS, session.memory(bias, b), DNNL_ARG_DST, zm)
                    : session.step(fpd, DNNL_ARG_SRC, xm, DNNL_ARG_WEIGHTS, fw, DNNL_ARG_DST, zm));
            if (postOp != 0) {
                activationGrad.add(DnnlActivation.gradient(session, postOp, dst, zm, dym, what));
            }

            if (dx != null) {
                dnnl_inner_product_desc_t bd = new dnnl_inner_product_desc_t();
                Dnnl.check(dnnl_inner_product_backward_data_desc_init(bd, src, userW, dst), "describing " + what);
                dnnl_primitive_desc bpd = session.describe(bd, fpd, what + " (backward data)");
                dnnl_memory bw = session.in(wm, userW, session.query(bpd, dnnl_query_weights_md), backward);
                backward.add(session.step(bpd, DNNL_ARG_DIFF_DST, dym, DNNL_ARG_WEIGHTS, bw, DNNL_ARG_DIFF_SRC, session.memory(src, dx)));
            }
            dnnl_inner_product_desc_t wd = new dnnl_inner_product_desc_t();
            Dnnl.check(dnnl_inner_product_backward_weights_desc_init(wd, src, userW, bias, dst), "describing " + what);
            dnnl_primitive_desc wpd = session.describe(wd, fpd, what + " (backward weights)");
            List<Dnnl.Step> after = new ArrayList<>();
            dnnl_memory gw = session.out(session.memory(userW, dw), userW, session.query(wpd, dnnl_query_diff_weights_md), after);
            backward.add(b != null
                    ? session.step(wpd, DNNL_ARG_SRC, xm, DNNL_ARG_DIFF_DST, dym, DNNL_ARG_DIFF_WEIGHTS, gw, DNNL_ARG_DIFF_BIAS, session.memory(bias, db))
                    : session.step(wpd, DNNL_ARG_SRC, xm, DNNL_ARG_DIFF_DST, dym, DNNL_ARG_DIFF_WEIGHTS, gw));
            backward.addAll(after);
        }
    }

}
