package dlkit.layers.recurrent;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.internal.WeightPenalty;
import dlkit.tensor.Blas;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Dnnl;
import dlkit.tensor.Native;
import java.util.concurrent.RecursiveAction;
import org.jspecify.annotations.Nullable;

/**
 * The common LSTM — float32, tanh and sigmoid, no dropout, mask, state or initial states — with its gate arithmetic
 * in float on heap arrays that HotSpot vectorises, around the same GEMMs as {@link RecurrentKernel} (the input part
 * of every step in one, one {@code h·R} per step, one each for the weight gradients after the backward sweep).
 *
 * <p>Why a kernel of its own: in the float64 {@link RecurrentKernel} the GEMMs were 12.6 of an LSTM(128) step's 29.8
 * ms at batch 128 and the gate arithmetic and copies the rest; oneDNN's fused LSTM (2.5) took 23.7. HotSpot 17 only
 * vectorises a loop whose arrays are all indexed at the same offset, so every per-step quantity here is its own
 * {@code [batch·units]} array, batch-major: the gates {@code i, f, c̃, o} (pre-activations replaced by activations in
 * place), c, tanh(c) and h; the GEMM's {@code [batch, 4·units]} rows are copied into them and back, a gate of a row at a time.
 */
final class Float32Lstm implements Kernel {
    private final int steps;
    private final int features;
    private final int u;
    private final int g;
    private final boolean sequences;
    private final boolean backwards;
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
    /** Columns of {@link #xa}: h_{t-1}, x_t, and a one when there is a bias. */
    private final int k;
    /**
     * Native, time-major, {@code [steps·batch, k]}: each row {@code [h_{t-1} | x_t | 1]}, so the input projection with
     * its bias is one GEMM against {@link #wb} = {@code [kernel; bias]}, and after the backward sweep one GEMM
     * {@code xaᵀ·dz} gives the recurrent kernel's, the kernel's and the bias' gradients at once ({@link #dAll}).
     */
    private final Buf xa;
    private final Buf wb;
    private final Buf dAll;
    /** Native: the gates' pre-activations of every step, then their gradients; one step's dL/dh_{t-1}. */
    private final Buf zs;
    private final Buf dhPrev;
    private final @Nullable Buf dXt;
    // heap, [step][batch·units]
    private final float[][] gi;
    private final float[][] gf;
    private final float[][] gc;
    private final float[][] go;
    private final float[][] c;
    private final float[][] tc;
    private final float[][] h;
    private final float[] zeros;
    private final float[] dh;
    private final float[] dc;
    private final float[] di;
    private final float[] df;
    private final float[] dcand;
    private final float[] dout;
    private final float[] seq;
    private final float[] io;

    /** The fixed rule for this kernel; the same switch that turns the oneDNN paths off turns it off (the portable path). */
    static boolean applies(BuildContext ctx, LSTM.Config c) {
        return ctx.input() instanceof Buf.F32 && Dnnl.available()
                && c.activation() == Activation.TANH && c.recurrentActivation() == Activation.SIGMOID
                && c.dropout() == 0 && c.recurrentDropout() == 0 && !c.stateful() && !c.returnState()
                && ctx.inputMask() == null && ctx.inputCount() == 1;
    }

    Float32Lstm(BuildContext ctx, LSTM.Config config) {
        steps = ctx.inputShape().dim(0);
        features = ctx.inputShape().dim(1);
        u = config.units();
        g = 4 * u;
        sequences = config.returnSequences();
        backwards = config.goBackwards();
        x = ctx.input();
        y = ctx.output();
        dy = ctx.outputGrad();
        dx = ctx.inputGrad();
        w = ctx.param("kernel");
        r = ctx.param("recurrent_kernel");
        dw = ctx.grad("kernel");
        dr = ctx.grad("recurrent_kernel");
        b = config.useBias() ? ctx.param("bias") : null;
        db = config.useBias() ? ctx.grad("bias") : null;
        penalty = WeightPenalty.of(ctx, config.kernelRegularizer(), w, dw, config.biasRegularizer(), b, db);
        recurrentPenalty = WeightPenalty.of(ctx, config.recurrentRegularizer(), r, dr, null, null, null);
        int mb = ctx.maxBatch();
        int rows = steps * mb;
        k = u + features + (b != null ? 1 : 0);
        // (scratch sizes are per sample)
        xa = ctx.scratch(steps * k);
        wb = Buf.allocate(DType.FLOAT32, (k - u) * g);
        dAll = Buf.allocate(DType.FLOAT32, k * g);
        zs = ctx.scratch(steps * g);
        dhPrev = ctx.scratch(u);
        dXt = dx != null ? ctx.scratch(steps * features) : null;
        int su = mb * u;
        gi = new float[steps][su];
        gf = new float[steps][su];
        gc = new float[steps][su];
        go = new float[steps][su];
        c = new float[steps][su];
        tc = new float[steps][su];
        h = new float[steps][su];
        zeros = new float[su];
        dh = new float[su];
        dc = new float[su];
        di = new float[su];
        df = new float[su];
        dcand = new float[su];
        dout = new float[su];
        seq = new float[rows * k];
        io = new float[rows * Math.max(features, sequences ? u : 0)];
    }

    @Override
    public void forward(int n, boolean training, long step) {
        int rows = steps * n;
        int su = n * u;
        // x [n, T, F] → the x_t columns of xa [T, n, k], reversed in time for go_backwards; h_0 = 0, the ones column
        x.get(0, io, 0, rows * features);
        for (int bb = 0; bb < n; bb++) {
            for (int t = 0; t < steps; t++) {
                int dst = (t * n + bb) * k;
                System.arraycopy(io, (bb * steps + (backwards ? steps - 1 - t : t)) * features, seq, dst + u, features);
                if (t == 0) {
                    java.util.Arrays.fill(seq, dst, dst + u, 0f);
                }
                if (b != null) {
                    seq[dst + k - 1] = 1;
                }
            }
        }
        xa.put(0, seq, 0, rows * k);
        wb.copyFrom(w, 0, 0, features * g);
        if (b != null) {
            wb.copyFrom(b, 0, features * g, g);
        }
        Blas.gemm(false, false, rows, g, k - u, 1, xa.slice(u, rows * k - u), k, wb, g, 0, zs, g);
        halves(n, true);
        if (sequences) {
            // outputs in processing order, batch-major [n, T, u]
            for (int bb = 0; bb < n; bb++) {
                for (int t = 0; t < steps; t++) {
                    System.arraycopy(h[t], bb * u, io, (bb * steps + t) * u, u);
                }
            }
            y.put(0, io, 0, rows * u);
        } else {
            y.put(0, h[steps - 1], 0, su);
        }
    }

    @Override
    public void backward(int n) {
        int rows = steps * n;
        if (sequences) {
            dy.get(0, io, 0, rows * u);
        } else {
            dy.get(0, dh, 0, n * u);
        }
        halves(n, false);
        // zs now holds dL/dz of every step: [dR; dW; db] = xaᵀ·dz
        Blas.gemm(true, false, k, g, rows, 1, xa, k, zs, g, 0, dAll, g);
        dr.copyFrom(dAll, 0, 0, u * g);
        dw.copyFrom(dAll, u * g, 0, features * g);
        if (db != null) {
            db.copyFrom(dAll, (u + features) * g, 0, g);
        }
        penalty.addGradients();
        recurrentPenalty.addGradients();
        if (dx == null) {
            return;
        }
        Blas.gemm(false, true, rows, features, g, 1, zs, g, w, g, 0, dXt, features);
        dXt.get(0, seq, 0, rows * features);
        for (int bb = 0; bb < n; bb++) {
            for (int t = 0; t < steps; t++) {
                System.arraycopy(seq, (t * n + bb) * features, io, (bb * steps + (backwards ? steps - 1 - t : t)) * features, features);
            }
        }
        dx.put(0, io, 0, rows * features);
    }

    /**
     * {@link #recur} over the whole batch; with two cores in halves, on this thread and the common pool's at once,
     * each with single-threaded GEMMs: rows never meet in the recurrence, and OpenBLAS' own two threads fell asleep
     * during each step's gate arithmetic and took ~40 µs to wake for the next GEMM (a step's GEMM ~160 µs instead
     * of 125).
     */
    private void halves(int n, boolean forward) {
        if (Native.blasThreads() < 2 || n < 2 * MIN_HALF) {
            recur(n, 0, n, forward);
            return;
        }
        int mid = n / 2;
        other.set(n, mid, forward);
        Native.blasThreadsForNextCalls(1);
        try {
            other.fork();
            recur(n, 0, mid, forward);
            other.join();
        } finally {
            Native.blasThreadsForNextCalls(Native.blasThreads());
        }
    }

    /** Below this many rows a half's GEMMs are too small to pay for the hand-over. */
    private static final int MIN_HALF = 16;

    /** The second half, reinitialised each time so a step allocates nothing. */
    private final class Half extends RecursiveAction {
        private int n;
        private int lo;
        private boolean forward;

        void set(int n, int lo, boolean forward) {
            reinitialize();
            this.n = n;
            this.lo = lo;
            this.forward = forward;
        }

        @Override
        protected void compute() {
            recur(n, lo, n, forward);
        }
    }

    private final Half other = new Half();

    /** The recurrence over rows [lo, hi) of the batch, forwards or backwards through time. */
    private void recur(int n, int lo, int hi, boolean forward) {
        int rows = hi - lo;
        int a = lo * u;
        int e = hi * u;
        if (forward) {
            for (int t = 0; t < steps; t++) {
                Buf zt = zs.slice((t * n + lo) * g, rows * g);
                Blas.gemm(false, false, rows, g, u, 1, xa.slice((t * n + lo) * k, rows * k), k, r, g, 1, zt, g);
                for (int bb = lo; bb < hi; bb++) {
                    // straight from the GEMM's row into the four gate arrays (no staging copy)
                    int src = (t * n + bb) * g;
                    zs.get(src, gi[t], bb * u, u);
                    zs.get(src + u, gf[t], bb * u, u);
                    zs.get(src + 2 * u, gc[t], bb * u, u);
                    zs.get(src + 3 * u, go[t], bb * u, u);
                }
                cell(gi[t], gf[t], gc[t], go[t], t == 0 ? zeros : c[t - 1], c[t], tc[t], h[t], a, e);
                if (t + 1 < steps) {
                    for (int bb = lo; bb < hi; bb++) {
                        xa.put(((t + 1) * n + bb) * k, h[t], bb * u, u);
                    }
                }
            }
            return;
        }
        java.util.Arrays.fill(dc, a, e, 0f);
        if (sequences) {
            java.util.Arrays.fill(dh, a, e, 0f);
        }
        for (int t = steps - 1; t >= 0; t--) {
            if (sequences) {
                // what step t+1 sent back through R, plus this step's output gradient
                for (int bb = lo; bb < hi; bb++) {
                    System.arraycopy(io, (bb * steps + t) * u, dout, bb * u, u);
                }
                add(dh, dout, a, e);
            }
            gates(dh, dc, gi[t], gf[t], gc[t], go[t], t == 0 ? zeros : c[t - 1], tc[t], di, df, dcand, dout, a, e);
            for (int bb = lo; bb < hi; bb++) {
                int dst = (t * n + bb) * g;
                zs.put(dst, di, bb * u, u);
                zs.put(dst + u, df, bb * u, u);
                zs.put(dst + 2 * u, dcand, bb * u, u);
                zs.put(dst + 3 * u, dout, bb * u, u);
            }
            Buf dz = zs.slice((t * n + lo) * g, rows * g);
            if (t > 0) {
                Buf dhp = dhPrev.slice(a, rows * u);
                Blas.gemm(false, true, rows, u, g, 1, dz, g, r, g, 0, dhp, u);
                dhp.get(0, dh, a, rows * u);
            }
        }
    }

    /**
     * The step's activations in place, then c = f·c_prev + i·c̃, tanh(c), h = o·tanh(c), over [a, e). Several short
     * loops, not one: HotSpot 17 vectorises each of these and not their fusion (44 against 480 µs a step at 128×128).
     */
    private static void cell(float[] i, float[] f, float[] cand, float[] o, float[] cPrev, float[] cNow, float[] tcNow, float[] hNow,
                             int a, int e) {
        sigmoidInPlace(i, a, e);
        sigmoidInPlace(f, a, e);
        sigmoidInPlace(o, a, e);
        for (int k = a; k < e; k++) {
            cand[k] = tanh(cand[k]);
        }
        for (int k = a; k < e; k++) {
            cNow[k] = f[k] * cPrev[k] + i[k] * cand[k];
        }
        for (int k = a; k < e; k++) {
            float t = tanh(cNow[k]);
            tcNow[k] = t;
            hNow[k] = o[k] * t;
        }
    }

    private static void sigmoidInPlace(float[] v, int a, int e) {
        for (int k = a; k < e; k++) {
            v[k] = sigmoid(v[k]);
        }
    }

    private static void add(float[] acc, float[] v, int a, int e) {
        for (int k = a; k < e; k++) {
            acc[k] += v[k];
        }
    }

    /**
     * One BPTT step over [a, e): from dL/dh_t and the running dL/dc, the gradients of the four pre-activations
     * (derivatives from the saved activations: y(1 − y), 1 − y²), and dL/dc_{t-1} into {@code dc}. Three loops for
     * the same reason as {@link #cell} (12 against 49 µs).
     */
    private static void gates(float[] dh, float[] dc, float[] i, float[] f, float[] cand, float[] o, float[] cPrev, float[] tcNow,
                              float[] di, float[] df, float[] dcand, float[] dout, int a, int e) {
        for (int k = a; k < e; k++) {
            float t = tcNow[k];
            float ok = o[k];
            float d = dh[k];
            dc[k] += d * ok * (1 - t * t);
            dout[k] = d * t * ok * (1 - ok);
        }
        for (int k = a; k < e; k++) {
            float ik = i[k];
            float ck = cand[k];
            float dcc = dc[k];
            di[k] = dcc * ck * ik * (1 - ik);
            dcand[k] = dcc * ik * (1 - ck * ck);
        }
        for (int k = a; k < e; k++) {
            float fk = f[k];
            float dcc = dc[k];
            df[k] = dcc * cPrev[k] * fk * (1 - fk);
            dc[k] = dcc * fk;
        }
    }

    // Eigen's rational tanh (see Activation.tanhFast), in float: within 3e-7 of tanh, plain arithmetic that vectorises.
    private static final float CLAMP = 7.90531110763549805f;
    private static final float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f,
            A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f, A13 = -2.76076847742355e-16f;
    private static final float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f,
            B6 = 1.19825839466702e-06f;

    private static float tanh(float z) {
        float v = Math.max(-CLAMP, Math.min(CLAMP, z));
        float v2 = v * v;
        float p = v * (A1 + v2 * (A3 + v2 * (A5 + v2 * (A7 + v2 * (A9 + v2 * (A11 + v2 * A13))))));
        float q = B0 + v2 * (B2 + v2 * (B4 + v2 * B6));
        return p / q;
    }

    private static float sigmoid(float z) {
        return 0.5f + 0.5f * tanh(0.5f * z);
    }

    @Override
    public double penalty() {
        return penalty.value() + recurrentPenalty.value();
    }
}
