package dlkit.layers.recurrent;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Buf;
import dlkit.tensor.Dnnl;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_rnn_desc_t;
import org.jspecify.annotations.Nullable;

/**
 * An LSTM on oneDNN's fused LSTM primitives (forward training and backward, with the workspace between them), built
 * once per batch size. Keras' layouts are oneDNN's: gates {@code [i, f, c, o]}, kernel {@code [features, 4·units]} =
 * {@code ldigo}, bias {@code [4·units]} = {@code ldgo}, sequences batch-major ({@code ntc}); oneDNN reorders the
 * weights to its own layout once per step. It applies to the common case only — tanh and sigmoid, no dropout, no
 * mask, state, initial states or reversal — and {@link #applies} says so by a fixed rule; the rest runs
 * {@link RecurrentKernel}.
 */
final class DnnlLstm implements Kernel {
    private final Dnnl.Session session = new Dnnl.Session(this);
    /** Primitives per batch size, built on first use (the batch size and at most one remainder); an array, so a step allocates nothing. */
    private final Plan[] plans;
    private final int steps;
    private final int features;
    private final int units;
    private final boolean sequences;
    private final Buf x;
    private final Buf y;
    private final Buf dy;
    private final @Nullable Buf dx;
    private final Buf w;
    private final Buf r;
    private final @Nullable Buf b;
    private final Buf dw;
    private final Buf dr;
    private final @Nullable Buf db;
    private final WeightPenalty penalty;
    private final WeightPenalty recurrentPenalty;
    /** All steps' h when only the last is the output, and the (zero) gradient of those that are not. */
    private final @Nullable Buf hAll;
    private final @Nullable Buf dhAll;
    /** The input gradient when nothing upstream wants it: oneDNN computes it regardless. */
    private final @Nullable Buf dxUnused;

    static boolean applies(BuildContext ctx, LSTM.Config c) {
        return ctx.input() instanceof Buf.F32 && Dnnl.available()
                && c.activation() == Activation.TANH && c.recurrentActivation() == Activation.SIGMOID
                && c.dropout() == 0 && c.recurrentDropout() == 0 && !c.stateful() && !c.goBackwards() && !c.returnState()
                && ctx.inputMask() == null && ctx.inputCount() == 1;
    }

    DnnlLstm(BuildContext ctx, LSTM.Config c) {
        steps = ctx.inputShape().dim(0);
        plans = new Plan[ctx.maxBatch() + 1];
        features = ctx.inputShape().dim(1);
        units = c.units();
        sequences = c.returnSequences();
        x = ctx.input();
        y = ctx.output();
        dy = ctx.outputGrad();
        dx = ctx.inputGrad();
        w = ctx.param("kernel");
        r = ctx.param("recurrent_kernel");
        dw = ctx.grad("kernel");
        dr = ctx.grad("recurrent_kernel");
        b = c.useBias() ? ctx.param("bias") : null;
        db = c.useBias() ? ctx.grad("bias") : null;
        penalty = WeightPenalty.of(ctx, c.kernelRegularizer(), w, dw, c.biasRegularizer(), b, db);
        recurrentPenalty = WeightPenalty.of(ctx, c.recurrentRegularizer(), r, dr, null, null, null);
        hAll = sequences ? null : ctx.scratch(steps * units);
        dhAll = sequences ? null : ctx.scratch(steps * units);
        dxUnused = dx == null ? ctx.scratch(steps * features) : null;
    }

    @Override
    public void forward(int n, boolean training, long step) {
        Dnnl.run(plan(n).forward);
    }

    @Override
    public void backward(int n) {
        Plan p = plan(n);
        for (dnnl_memory m : p.accumulated) {
            session.zero(m);
        }
        for (Buf g : p.accumulatedInPlace) {
            g.fill(0, g.length());
        }
        Dnnl.run(p.backward);
        penalty.addGradients();
        recurrentPenalty.addGradients();
    }

    @Override
    public double penalty() {
        return penalty.value() + recurrentPenalty.value();
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
        final List<Dnnl.Step> backward = new ArrayList<>();
        /** Gradient memories the backward primitive adds into, zeroed before it runs. */
        final List<dnnl_memory> accumulated = new ArrayList<>();
        final List<Buf> accumulatedInPlace = new ArrayList<>();

        Plan(int n) {
            int g = 4;
            dnnl_memory_desc_t src = Dnnl.md(new long[] {steps, n, features}, dnnl_ntc);
            dnnl_memory_desc_t dstLayer = Dnnl.md(new long[] {steps, n, units}, dnnl_ntc);
            dnnl_memory_desc_t dstIter = Dnnl.md(new long[] {1, 1, n, units}, dnnl_ldnc);
            long[] wDims = {1, 1, features, g, units};
            long[] rDims = {1, 1, units, g, units};
            long[] bDims = {1, 1, g, units};
            dnnl_memory_desc_t userW = Dnnl.md(wDims, dnnl_ldigo);
            dnnl_memory_desc_t userR = Dnnl.md(rDims, dnnl_ldigo);
            dnnl_memory_desc_t userB = Dnnl.md(bDims, dnnl_ldgo);
            dnnl_memory_desc_t anyW = Dnnl.md(wDims, dnnl_format_tag_any);
            dnnl_memory_desc_t anyR = Dnnl.md(rDims, dnnl_format_tag_any);
            dnnl_memory_desc_t anyB = Dnnl.md(bDims, dnnl_format_tag_any);
            dnnl_memory_desc_t iter = sequences ? null : dstIter;
            String what = "an LSTM over " + steps + " steps of " + features + " -> " + units;

            dnnl_rnn_desc_t fd = new dnnl_rnn_desc_t();
            Dnnl.check(dnnl_lstm_forward_desc_init(fd, dnnl_forward_training, dnnl_unidirectional_left2right, src, null, null, anyW, anyR,
                    anyB, dstLayer, iter, iter, dnnl_rnn_flags_undef), "describing " + what);
            dnnl_primitive_desc fpd = session.describe(fd, null, what);
            dnnl_memory xm = session.memory(src, x);
            dnnl_memory hm = session.memory(dstLayer, sequences ? y : hAll);
            dnnl_memory wm = session.memory(userW, w);
            dnnl_memory rm = session.memory(userR, r);
            dnnl_memory fw = session.in(wm, userW, session.query(fpd, dnnl_query_weights_md), forward);
            dnnl_memory fr = session.in(rm, userR, dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 1), forward);
            dnnl_memory_desc_t ws = session.query(fpd, dnnl_query_workspace_md);
            dnnl_memory wsm = session.allocate(ws);
            List<Object> fargs = new ArrayList<>(List.of(DNNL_ARG_SRC_LAYER, xm, DNNL_ARG_WEIGHTS_LAYER, fw, DNNL_ARG_WEIGHTS_ITER, fr,
                    DNNL_ARG_DST_LAYER, hm, DNNL_ARG_WORKSPACE, wsm));
            // oneDNN's LSTM always has a bias: without one, a zero bias it never changes (its gradient goes nowhere).
            dnnl_memory bm = b != null ? session.memory(userB, b) : session.allocate(userB);
            dnnl_memory fb = session.in(bm, userB, dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 2), forward);
            fargs.addAll(List.of(DNNL_ARG_BIAS, fb));
            dnnl_memory lastH = null;
            dnnl_memory lastC = null;
            if (!sequences) {
                // oneDNN takes the final h and c together or neither; c is not an output, its gradient stays zero.
                lastH = session.memory(dstIter, y);
                lastC = session.allocate(dstIter);
                fargs.addAll(List.of(DNNL_ARG_DST_ITER, lastH, DNNL_ARG_DST_ITER_C, lastC));
            }
            forward.add(session.step(fpd, fargs.toArray()));

            dnnl_rnn_desc_t bd = new dnnl_rnn_desc_t();
            Dnnl.check(dnnl_lstm_backward_desc_init(bd, dnnl_backward, dnnl_unidirectional_left2right, src, null, null, anyW, anyR,
                    anyB, dstLayer, iter, iter, src, null, null, anyW, anyR, anyB, dstLayer, iter, iter,
                    dnnl_rnn_flags_undef), "describing " + what);
            dnnl_primitive_desc bpd = session.describe(bd, fpd, what + " (backward)");
            // The backward primitive may want the weights in another layout than the forward one.
            dnnl_memory bw = session.in(wm, userW, session.query(bpd, dnnl_query_weights_md), backward);
            dnnl_memory br = session.in(rm, userR, dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 1), backward);
            List<Dnnl.Step> after = new ArrayList<>();
            dnnl_memory dwm = session.memory(userW, dw);
            dnnl_memory drm = session.memory(userR, dr);
            dnnl_memory gw = session.out(dwm, userW, session.query(bpd, dnnl_query_diff_weights_md), after);
            dnnl_memory gr = session.out(drm, userR, dnnl_primitive_desc_query_md(bpd, dnnl_query_diff_weights_md, 1), after);
            zeroBeforeBackward(gw, dwm, userW, dw);
            zeroBeforeBackward(gr, drm, userR, dr);
            dnnl_memory dxm = session.memory(src, dx != null ? dx : dxUnused);
            dnnl_memory dhm = session.memory(dstLayer, sequences ? dy : dhAll);
            List<Object> bargs = new ArrayList<>(List.of(DNNL_ARG_SRC_LAYER, xm, DNNL_ARG_WEIGHTS_LAYER, bw, DNNL_ARG_WEIGHTS_ITER, br,
                    DNNL_ARG_DST_LAYER, hm, DNNL_ARG_WORKSPACE, wsm, DNNL_ARG_DIFF_SRC_LAYER, dxm, DNNL_ARG_DIFF_WEIGHTS_LAYER, gw,
                    DNNL_ARG_DIFF_WEIGHTS_ITER, gr, DNNL_ARG_DIFF_DST_LAYER, dhm));
            dnnl_memory bb = session.in(bm, userB, dnnl_primitive_desc_query_md(bpd, dnnl_query_weights_md, 2), backward);
            dnnl_memory dbm = db != null ? session.memory(userB, db) : session.allocate(userB);
            dnnl_memory gb = session.out(dbm, userB, dnnl_primitive_desc_query_md(bpd, dnnl_query_diff_weights_md, 2), after);
            if (db != null) {
                zeroBeforeBackward(gb, dbm, userB, db);
            } else {
                accumulated.add(gb);
            }
            bargs.addAll(List.of(DNNL_ARG_BIAS, bb, DNNL_ARG_DIFF_BIAS, gb));
            if (!sequences) {
                bargs.addAll(List.of(DNNL_ARG_DST_ITER, lastH, DNNL_ARG_DIFF_DST_ITER, session.memory(dstIter, dy),
                        DNNL_ARG_DST_ITER_C, lastC, DNNL_ARG_DIFF_DST_ITER_C, session.allocate(dstIter)));
            }
            backward.add(session.step(bpd, bargs.toArray()));
            backward.addAll(after);
        }

        /** A gradient written straight into dlkit's buffer is zeroed there; one in oneDNN's layout, in its own memory. */
        private void zeroBeforeBackward(dnnl_memory own, dnnl_memory user, dnnl_memory_desc_t userMd, Buf userBuf) {
            if (own != user) {
                accumulated.add(own);
            } else {
                accumulatedInPlace.add(userBuf);
            }
        }
    }

}
