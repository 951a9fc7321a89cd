package dlkit.layers.recurrent;

import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Blas;
import dlkit.tensor.Buf;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.jspecify.annotations.Nullable;

/**
 * Forward and backpropagation through time for SimpleRNN, LSTM and GRU over {@code [batch, steps, features]}.
 *
 * <p>The sequence is turned time-major once, so every matrix product is one GEMM into planned buffers: the input
 * part of all gates for all steps ({@code [steps·batch, features] × kernel}), one {@code h · recurrent_kernel} per
 * step, and after the backward sweep one GEMM each for the kernel, recurrent-kernel and input gradients. The gate
 * arithmetic runs on heap arrays in double. Gate layouts follow Keras: LSTM {@code [i, f, c, o]}, GRU
 * {@code [z, r, h]} (with {@code reset_after} input and recurrent biases apart), so weights exchange with Keras. A GRU
 * with {@code reset_after=false} runs a second, smaller GEMM per step, {@code (r·h̃)·R_h}, forwards and backwards.
 */
final class RecurrentKernel implements Kernel {
    enum Cell {
        SIMPLE(1), LSTM(4), GRU(3);

        final int gates;

        Cell(int gates) {
            this.gates = gates;
        }
    }

    private final Cell cell;
    private final RecurrentLayer.Options spec;
    private final int steps;
    private final int features;
    private final int u;
    private final int g;
    private final Buf x;
    private final Buf y;
    private final Buf dy;
    private final @Nullable Buf dx;
    private final Buf w;
    private final Buf r;
    private final @Nullable Buf bIn;
    private final @Nullable Buf bRec;
    private final Buf dw;
    private final Buf dr;
    private final @Nullable Buf dbIn;
    private final @Nullable Buf dbRec;
    private final WeightPenalty penalty;
    private final WeightPenalty recurrentPenalty;
    private final long seed;
    // native, time-major
    private final Buf xt;
    private final Buf zs;
    private final Buf hs;
    private final Buf hm;
    private final Buf hr;
    private final Buf dZx;
    private final Buf dHr;
    private final Buf dhPrev;
    private final Buf dXt;
    private final Buf ones;
    /** GRU reset_after=false: r·h̃ of every step (for the recurrent kernel's gradient) and the candidate gradient of one. */
    private final boolean resetBefore;
    private final @Nullable Buf rhs;
    private final @Nullable Buf dCandStep;
    // heap
    private final double[] xh;
    private final double[] io;
    /** The gate arithmetic and the heap arrays it works in (time-major: states [step][batch][unit]). */
    private final CellMath m;
    private final double[] inMask;
    private final double[] recMask;
    private boolean inMasked;
    private boolean recMasked;
    /** The time-step mask ([batch, steps], 1 real, 0 padding) from Embedding(mask_zero) or Masking, or null. */
    private final @Nullable Buf stepMask;
    /** Initial states given as inputs (h0, c0) and their gradients; null when the state starts at zero (or is carried). */
    private final @Nullable Buf h0;
    private final @Nullable Buf c0;
    private final @Nullable Buf dh0;
    private final @Nullable Buf dc0;
    /** return_state: the final h (and c) as outputs, and the gradients that flow back into them. */
    private final @Nullable Buf hOut;
    private final @Nullable Buf cOut;
    private final @Nullable Buf dhOut;
    private final @Nullable Buf dcOut;
    private final double[] keep;
    private final double[] savedDh;
    private final double[] savedDc;
    /** Stateful layers: the last h (and c) of each sample slot, the next batch's initial state. */
    private final double @Nullable [] carriedH;
    private final double @Nullable [] carriedC;

    RecurrentKernel(BuildContext ctx, Cell cell, RecurrentLayer.Options spec) {
        this.cell = cell;
        this.spec = spec;
        this.steps = ctx.inputShape().dim(0);
        this.features = ctx.inputShape().dim(1);
        this.u = spec.units();
        this.g = cell.gates * u;
        int mb = ctx.maxBatch();
        this.x = ctx.input();
        this.y = ctx.output();
        this.dy = ctx.outputGrad();
        this.dx = ctx.inputGrad();
        this.w = ctx.param("kernel");
        this.r = ctx.param("recurrent_kernel");
        this.dw = ctx.grad("kernel");
        this.dr = ctx.grad("recurrent_kernel");
        Buf b = spec.useBias() ? ctx.param("bias") : null;
        Buf db = spec.useBias() ? ctx.grad("bias") : null;
        this.resetBefore = cell == Cell.GRU && spec instanceof GRU.Config c && !c.resetAfter();
        boolean split = cell == Cell.GRU && !resetBefore;
        this.bIn = b == null ? null : split ? b.slice(0, g) : b;
        this.bRec = b != null && split ? b.slice(g, g) : null;
        this.dbIn = db == null ? null : split ? db.slice(0, g) : db;
        this.dbRec = db != null && split ? db.slice(g, g) : null;
        this.penalty = WeightPenalty.of(ctx, spec.kernelRegularizer(), w, dw, spec.biasRegularizer(), b, db);
        this.recurrentPenalty = WeightPenalty.of(ctx, spec.recurrentRegularizer(), r, dr, null, null, null);
        this.seed = ctx.seed();
        int rows = steps * mb;
        this.xt = ctx.scratch(steps * features);
        this.zs = ctx.scratch(steps * g);
        this.hs = ctx.scratch((steps + 1) * u);
        this.hm = spec.recurrentDropout() > 0 ? ctx.scratch((steps + 1) * u) : hs;
        this.hr = ctx.scratch(g);
        this.dZx = ctx.scratch(steps * g);
        this.dHr = cell == Cell.GRU ? ctx.scratch(steps * g) : dZx;
        this.rhs = resetBefore ? ctx.scratch(steps * u) : null;
        this.dCandStep = resetBefore ? ctx.scratch(u) : null;
        this.dhPrev = ctx.scratch(u);
        this.dXt = dx != null ? ctx.scratch(steps * features) : null;
        this.ones = ctx.ones(rows);
        this.xh = new double[rows * features];
        this.io = new double[Math.max(mb * ctx.outputShape().size(), mb * steps * features)];
        this.m = new CellMath(cell, spec, steps, mb, x instanceof Buf.F32);
        this.inMask = new double[mb * features];
        this.recMask = new double[mb * u];
        this.carriedH = spec.stateful() ? ctx.persistentState("h", mb * u) : null;
        this.carriedC = spec.stateful() && cell == Cell.LSTM ? ctx.persistentState("c", mb * u) : null;
        this.stepMask = ctx.inputMask();
        this.h0 = ctx.inputCount() > 1 ? ctx.input(1) : null;
        this.dh0 = ctx.inputCount() > 1 ? ctx.inputGrad(1) : null;
        this.c0 = ctx.inputCount() > 2 ? ctx.input(2) : null;
        this.dc0 = ctx.inputCount() > 2 ? ctx.inputGrad(2) : null;
        this.hOut = ctx.outputCount() > 1 ? ctx.output(1) : null;
        this.dhOut = ctx.outputCount() > 1 ? ctx.outputGrad(1) : null;
        this.cOut = ctx.outputCount() > 2 ? ctx.output(2) : null;
        this.dcOut = ctx.outputCount() > 2 ? ctx.outputGrad(2) : null;
        this.keep = stepMask != null ? new double[mb * steps] : null;
        this.savedDh = stepMask != null ? new double[mb * u] : null;
        this.savedDc = stepMask != null ? new double[mb * u] : null;
    }

    /** Keras' RNN dropout: one mask per sequence (the same at every step), inverted scaling. */
    private static boolean mask(double[] m, int len, double rate, boolean training, long seed) {
        if (!training || rate <= 0) {
            return false;
        }
        SplittableRandom rng = new SplittableRandom(seed);
        double keep = 1 / (1 - rate);
        for (int i = 0; i < len; i++) {
            m[i] = rng.nextDouble() >= rate ? keep : 0;
        }
        return true;
    }

    @Override
    public void forward(int n, boolean training, long step) {
        int rows = steps * n;
        inMasked = mask(inMask, n * features, spec.dropout(), training, seed * 0x9E3779B97F4A7C15L + step);
        recMasked = mask(recMask, n * u, spec.recurrentDropout(), training, seed * 0xC2B2AE3D27D4EB4FL + step);
        if (stepMask != null) {
            stepMask.get(0, keep, 0, n * steps);
        }
        // x [n, T, F] → xt [T, n, F] (reversed in time for go_backwards), input dropout applied
        x.get(0, io, 0, n * steps * features);
        for (int b = 0; b < n; b++) {
            for (int t = 0; t < steps; t++) {
                int src = (b * steps + (spec.goBackwards() ? steps - 1 - t : t)) * features;
                int dst = (t * n + b) * features;
                for (int k = 0; k < features; k++) {
                    xh[dst + k] = inMasked ? io[src + k] * inMask[b * features + k] : io[src + k];
                }
            }
        }
        xt.put(0, xh, 0, rows * features);
        if (bIn != null) {
            Blas.gemm(false, false, rows, g, 1, 1, ones, 1, bIn, g, 0, zs, g);
            Blas.gemm(false, false, rows, g, features, 1, xt, features, w, g, 1, zs, g);
        } else {
            Blas.gemm(false, false, rows, g, features, 1, xt, features, w, g, 0, zs, g);
        }
        // SimpleRNN and LSTM add h·R straight onto the input part in zs (one native→heap copy per step); GRU keeps the
        // recurrent part apart because its reset gate scales it.
        boolean fusedRecurrent = cell != Cell.GRU;
        if (!fusedRecurrent) {
            zs.get(0, m.zx, 0, rows * g);
        }
        if (carriedH != null || h0 != null) {
            if (carriedH != null) {
                System.arraycopy(carriedH, 0, m.hH, 0, n * u);
            } else {
                h0.get(0, m.hH, 0, n * u);
            }
            hs.put(0, m.hH, 0, n * u);
            if (hm != hs) {
                for (int i = 0; i < n * u; i++) {
                    io[i] = recMasked ? m.hH[i] * recMask[i] : m.hH[i];
                }
                hm.put(0, io, 0, n * u);
            }
        } else {
            Arrays.fill(m.hH, 0, n * u, 0.0);
            hs.fill(0, n * u);
            if (hm != hs) {
                hm.fill(0, n * u);
            }
        }
        if (m.cH != null) {
            if (carriedC != null) {
                System.arraycopy(carriedC, 0, m.cH, 0, n * u);
            } else if (c0 != null) {
                c0.get(0, m.cH, 0, n * u);
            } else {
                Arrays.fill(m.cH, 0, n * u, 0.0);
            }
        }
        for (int t = 0; t < steps; t++) {
            if (fusedRecurrent) {
                Buf zt = zs.slice(t * n * g, n * g);
                Blas.gemm(false, false, n, g, u, 1, hm.slice(t * n * u, n * u), u, r, g, 1, zt, g);
                zt.get(0, m.pre, t * n * g, n * g);
            } else if (resetBefore) {
                // the gates' recurrent part h̃·R[:, :2u], then the candidate's (r·h̃)·R[:, 2u:] into hr's last block
                Blas.gemm(false, false, n, 2 * u, u, 1, hm.slice(t * n * u, n * u), u, r, g, 0, hr, g);
                hr.get(0, m.hrStep, 0, n * g);
                m.gruGates(t, n, recMasked ? recMask : null);
                Buf rh = rhs.slice(t * n * u, n * u);
                rh.put(0, m.rhAll, t * n * u, n * u);
                Blas.gemm(false, false, n, u, u, 1, rh, u, recurrentBlock(r), g, 0, hr.slice(2 * u, n * g - 2 * u), g);
                hr.get(0, m.hrStep, 0, n * g);
                m.gruCandidate(t, n);
            } else {
                Blas.gemm(false, false, n, g, u, 1, hm.slice(t * n * u, n * u), u, r, g, 0, hr, g);
                if (bRec != null) {
                    Blas.gemm(false, false, n, g, 1, 1, ones, 1, bRec, g, 1, hr, g);
                }
                hr.get(0, m.hrStep, 0, n * g);
            }
            if (!resetBefore) {
                m.forward(t, n);
            }
            if (stepMask != null) {
                carryMaskedRows(t, n);
            }
            hs.put((t + 1) * n * u, m.hH, (t + 1) * n * u, n * u);
            if (hm != hs) {
                int base = (t + 1) * n * u;
                for (int i = 0; i < n * u; i++) {
                    io[i] = recMasked ? m.hH[base + i] * recMask[i] : m.hH[base + i];
                }
                hm.put(base, io, 0, n * u);
            }
        }
        if (carriedH != null) {
            // Gradients stop at the batch boundary (truncated backpropagation through time), as in Keras.
            System.arraycopy(m.hH, steps * n * u, carriedH, 0, n * u);
            if (carriedC != null) {
                System.arraycopy(m.cH, steps * n * u, carriedC, 0, n * u);
            }
        }
        if (hOut != null) {
            hOut.put(0, m.hH, steps * n * u, n * u);
        }
        if (cOut != null) {
            cOut.put(0, m.cH, steps * n * u, n * u);
        }
        // outputs in processing order, batch-major
        if (spec.returnSequences()) {
            for (int b = 0; b < n; b++) {
                for (int t = 0; t < steps; t++) {
                    System.arraycopy(m.hH, ((t + 1) * n + b) * u, io, (b * steps + t) * u, u);
                }
            }
            y.put(0, io, 0, n * steps * u);
        } else {
            y.put(0, m.hH, steps * n * u, n * u);
        }
    }

    /** Whether sample b's step at processing position t is real (not padding). */
    private boolean real(int b, int t) {
        return keep[b * steps + (spec.goBackwards() ? steps - 1 - t : t)] != 0;
    }

    /** Masked steps keep the previous state (and so output it again), as Keras does. */
    private void carryMaskedRows(int t, int n) {
        int hp = t * n * u;
        int hn = (t + 1) * n * u;
        for (int b = 0; b < n; b++) {
            if (!real(b, t)) {
                System.arraycopy(m.hH, hp + b * u, m.hH, hn + b * u, u);
                if (m.cH != null) {
                    System.arraycopy(m.cH, hp + b * u, m.cH, hn + b * u, u);
                    System.arraycopy(m.tcH, hp + b * u, m.tcH, hn + b * u, u);
                }
            }
        }
    }

    @Override
    public void backward(int n) {
        int rows = steps * n;
        dy.get(0, io, 0, n * (spec.returnSequences() ? steps * u : u));
        Arrays.fill(m.dh, 0, n * u, 0.0);
        Arrays.fill(m.dc, 0, n * u, 0.0);
        // Gradients of the returned final states join the last step's.
        if (dhOut != null) {
            dhOut.get(0, m.dh, 0, n * u);
        }
        if (dcOut != null) {
            dcOut.get(0, m.dc, 0, n * u);
        }
        for (int t = steps - 1; t >= 0; t--) {
            for (int b = 0; b < n; b++) {
                int src = spec.returnSequences() ? (b * steps + t) * u : t == steps - 1 ? b * u : -1;
                if (src >= 0) {
                    for (int j = 0; j < u; j++) {
                        m.dh[b * u + j] += io[src + j];
                    }
                }
            }
            if (stepMask != null) {
                System.arraycopy(m.dh, 0, savedDh, 0, n * u);
                System.arraycopy(m.dc, 0, savedDc, 0, n * u);
            }
            if (resetBefore) {
                m.gruCandidateBackward(t, n);
                dCandStep.put(0, m.dCand, 0, n * u);
                Blas.gemm(false, true, n, u, u, 1, dCandStep, u, recurrentBlock(r), g, 0, dhPrev, u);
                dhPrev.get(0, m.dRh, 0, n * u);
                m.gruResetBackward(t, n, recMasked ? recMask : null);
            } else if (m.fastGates && cell == Cell.LSTM) {
                m.lstmBackward(t, n);
            } else {
                m.genericBackward(t, n);
            }
            if (stepMask != null) {
                // A masked step was a copy of the previous state: its gradient passes straight through, no gate sees it.
                for (int b = 0; b < n; b++) {
                    if (!real(b, t)) {
                        Arrays.fill(m.dzxStep, b * g, (b + 1) * g, 0.0);
                        Arrays.fill(m.dhrStep, b * g, (b + 1) * g, 0.0);
                        System.arraycopy(savedDh, b * u, m.dh, b * u, u);
                        System.arraycopy(savedDc, b * u, m.dc, b * u, u);
                        if (resetBefore) {
                            Arrays.fill(m.viaReset, b * u, (b + 1) * u, 0.0);
                        }
                    }
                }
            }
            dZx.put(t * n * g, m.dzxStep, 0, n * g);
            if (dHr != dZx) {
                dHr.put(t * n * g, m.dhrStep, 0, n * g);
            }
            if (t > 0) {
                addRecurrentGradient(t, n);
            }
        }
        if (dh0 != null) {
            // dL/dh0: what the first step's recurrent product sends back, plus GRU's direct path (already in m.dh).
            addRecurrentGradient(0, n);
            dh0.put(0, m.dh, 0, n * u);
        }
        if (dc0 != null) {
            dc0.put(0, m.dc, 0, n * u);
        }
        if (resetBefore) {
            Blas.gemm(true, false, u, 2 * u, rows, 1, hm, u, dHr, g, 0, dr, g);
            Blas.gemm(true, false, u, u, rows, 1, rhs, u, dZx.slice(2 * u, rows * g - 2 * u), g, 0, recurrentBlock(dr), g);
        } else {
            Blas.gemm(true, false, u, g, rows, 1, hm, u, dHr, g, 0, dr, g);
        }
        Blas.gemm(true, false, features, g, rows, 1, xt, features, dZx, g, 0, dw, g);
        if (dbIn != null) {
            Blas.gemvT(rows, g, 1, dZx, g, ones, 0, dbIn);
        }
        if (dbRec != null) {
            Blas.gemvT(rows, g, 1, dHr, g, ones, 0, dbRec);
        }
        penalty.addGradients();
        recurrentPenalty.addGradients();
        if (dx == null) {
            return;
        }
        Blas.gemm(false, true, rows, features, g, 1, dZx, g, w, g, 0, dXt, features);
        dXt.get(0, xh, 0, rows * features);
        for (int b = 0; b < n; b++) {
            for (int t = 0; t < steps; t++) {
                int dst = (b * steps + (spec.goBackwards() ? steps - 1 - t : t)) * features;
                int src = (t * n + b) * features;
                for (int k = 0; k < features; k++) {
                    io[dst + k] = inMasked ? xh[src + k] * inMask[b * features + k] : xh[src + k];
                }
            }
        }
        dx.put(0, io, 0, n * steps * features);
    }

    /** The candidate's columns {@code [:, 2u:]} of a {@code [units, 3·units]} recurrent kernel (or its gradient), row stride 3u. */
    private Buf recurrentBlock(Buf kernel) {
        return kernel.slice(2 * u, u * g - 2 * u);
    }

    /**
     * dL/dh_{t-1} from step t's recurrent products: {@code dHr_t · Rᵀ} (for reset_after=false only the gates' columns,
     * plus what reached h̃ through r·h̃), through the recurrent-dropout mask, added to {@code m.dh}.
     */
    private void addRecurrentGradient(int t, int n) {
        Blas.gemm(false, true, n, u, resetBefore ? 2 * u : g, 1, dHr.slice(t * n * g, n * g), g, r, g, 0, dhPrev, u);
        dhPrev.get(0, m.dzxStep, 0, n * u);
        for (int i = 0; i < n * u; i++) {
            double d = resetBefore ? m.dzxStep[i] + m.viaReset[i] : m.dzxStep[i];
            m.dh[i] += recMasked ? d * recMask[i] : d;
        }
    }

    @Override
    public double penalty() {
        return penalty.value() + recurrentPenalty.value();
    }
}
