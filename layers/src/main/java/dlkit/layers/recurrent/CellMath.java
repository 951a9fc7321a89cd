package dlkit.layers.recurrent;

import dlkit.layers.Activation;
import org.jspecify.annotations.Nullable;

/**
 * The gate arithmetic of SimpleRNN, LSTM and GRU for one time step, forwards and backwards (BPTT), on heap arrays
 * in double: the pre-activations and activations of every step ({@code [step][batch][gate·unit]}), the states
 * ({@code [step + 1][batch][unit]}, step 0 the initial state), and the backward pass's running dL/dh and dL/dc.
 * {@link RecurrentKernel} runs the GEMMs and the time loop around it.
 */
final class CellMath {
    final RecurrentKernel.Cell cell;
    private final int u;
    private final int g;
    private final Activation activation;
    private final Activation recurrentActivation;
    /** float32 with tanh/sigmoid: gate activations by the vectorised approximations (exact in float64). */
    final boolean fastGates;
    final double[] pre;
    final double[] act;
    final double[] hH;
    final double @Nullable [] cH;
    final double @Nullable [] tcH;
    /** GRU only: the input and recurrent parts apart (the other cells add them in place). */
    final double @Nullable [] zx;
    final double @Nullable [] hrStep;
    final double @Nullable [] hrAll;
    /**
     * GRU with {@code reset_after=false}: the reset gate comes before the candidate's recurrent product, so each step
     * runs in two halves around a second GEMM ({@code (r·h̃)·R_h}, h̃ the recurrent-dropped h): r·h̃ of every step,
     * and in BPTT the candidate gradient, its product back through R_h, and what flows into h̃ through r.
     */
    final boolean resetBefore;
    final double @Nullable [] rhAll;
    final double @Nullable [] dCand;
    final double @Nullable [] dRh;
    final double @Nullable [] viaReset;
    final double[] dh;
    final double[] dc;
    final double[] dzxStep;
    final double[] dhrStep;

    CellMath(RecurrentKernel.Cell cell, RecurrentLayer.Options spec, int steps, int mb, boolean float32) {
        this.cell = cell;
        this.u = spec.units();
        this.g = cell.gates * u;
        this.activation = spec.activation();
        this.recurrentActivation = spec.recurrentActivation();
        this.fastGates = float32 && activation == Activation.TANH && (cell == RecurrentKernel.Cell.SIMPLE || recurrentActivation == Activation.SIGMOID);
        int rows = steps * mb;
        boolean gru = cell == RecurrentKernel.Cell.GRU;
        boolean lstm = cell == RecurrentKernel.Cell.LSTM;
        this.pre = new double[rows * g];
        this.act = new double[rows * g];
        this.hH = new double[(steps + 1) * mb * u];
        this.cH = lstm ? new double[(steps + 1) * mb * u] : null;
        this.tcH = lstm ? new double[(steps + 1) * mb * u] : null;
        this.zx = gru ? new double[rows * g] : null;
        this.hrStep = gru ? new double[mb * g] : null;
        this.hrAll = gru ? new double[rows * g] : null;
        this.resetBefore = gru && spec instanceof GRU.Config c && !c.resetAfter();
        this.rhAll = resetBefore ? new double[rows * u] : null;
        this.dCand = resetBefore ? new double[mb * u] : null;
        this.dRh = resetBefore ? new double[mb * u] : null;
        this.viaReset = resetBefore ? new double[mb * u] : null;
        this.dh = new double[mb * u];
        this.dc = new double[mb * u];
        this.dzxStep = new double[mb * g];
        this.dhrStep = new double[mb * g];
    }

    /** Step t of the forward pass for n samples: gates from {@code pre}, then the new state. */
    void forward(int t, int n) {
        switch (cell) {
            case SIMPLE -> simpleForward(t, n);
            case LSTM -> lstmForward(t, n);
            case GRU -> gruForward(t, n);
        }
    }

    private void simpleForward(int t, int n) {
        Activation f = activation;
        int hn = (t + 1) * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            if (fastGates) {
                Activation.tanhFast(pre, zb, act, zb, u);
                System.arraycopy(act, zb, hH, hn + b * u, u);
                continue;
            }
            for (int j = 0; j < u; j++) {
                double h = f.apply(pre[zb + j]);
                act[zb + j] = h;
                hH[hn + b * u + j] = h;
            }
        }
    }

    private void lstmForward(int t, int n) {
        Activation f = activation;
        Activation ra = recurrentActivation;
        int hp = t * n * u;
        int hn = (t + 1) * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            if (fastGates) {
                // Keras' default activations, float32: vectorised straight-line loops instead of per-element exp
                Activation.sigmoidFast(pre, zb, act, zb, 2 * u);
                Activation.tanhFast(pre, zb + 2 * u, act, zb + 2 * u, u);
                Activation.sigmoidFast(pre, zb + 3 * u, act, zb + 3 * u, u);
                int cb = hn + b * u;
                int cp = hp + b * u;
                for (int j = 0; j < u; j++) {
                    cH[cb + j] = act[zb + u + j] * cH[cp + j] + act[zb + j] * act[zb + 2 * u + j];
                }
                Activation.tanhFast(cH, cb, tcH, cb, u);
                for (int j = 0; j < u; j++) {
                    hH[cb + j] = act[zb + 3 * u + j] * tcH[cb + j];
                }
                continue;
            }
            for (int k = 0; k < g; k++) {
                boolean cellInput = k >= 2 * u && k < 3 * u;
                act[zb + k] = cellInput ? f.apply(pre[zb + k]) : ra.apply(pre[zb + k]);
            }
            for (int j = 0; j < u; j++) {
                double c = act[zb + u + j] * cH[hp + b * u + j] + act[zb + j] * act[zb + 2 * u + j];
                double tc = f.apply(c);
                cH[hn + b * u + j] = c;
                tcH[hn + b * u + j] = tc;
                hH[hn + b * u + j] = act[zb + 3 * u + j] * tc;
            }
        }
    }

    private void gruForward(int t, int n) {
        Activation f = activation;
        Activation ra = recurrentActivation;
        int hp = t * n * u;
        int hn = (t + 1) * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            int sb = b * g;
            if (fastGates) {
                for (int k = 0; k < 2 * u; k++) {
                    pre[zb + k] = zx[zb + k] + hrStep[sb + k];
                }
                Activation.sigmoidFast(pre, zb, act, zb, 2 * u);
                for (int j = 0; j < u; j++) {
                    double recH = hrStep[sb + 2 * u + j];
                    hrAll[zb + 2 * u + j] = recH;
                    pre[zb + 2 * u + j] = zx[zb + 2 * u + j] + act[zb + u + j] * recH;
                }
                Activation.tanhFast(pre, zb + 2 * u, act, zb + 2 * u, u);
                int hb = b * u;
                for (int j = 0; j < u; j++) {
                    double z = act[zb + j];
                    hH[hn + hb + j] = z * hH[hp + hb + j] + (1 - z) * act[zb + 2 * u + j];
                }
                continue;
            }
            for (int j = 0; j < u; j++) {
                double zz = zx[zb + j] + hrStep[sb + j];
                double zr = zx[zb + u + j] + hrStep[sb + u + j];
                double z = ra.apply(zz);
                double rr = ra.apply(zr);
                double recH = hrStep[sb + 2 * u + j];
                double zh = zx[zb + 2 * u + j] + rr * recH;
                double hh = f.apply(zh);
                hH[hn + b * u + j] = z * hH[hp + b * u + j] + (1 - z) * hh;
                pre[zb + j] = zz;
                pre[zb + u + j] = zr;
                pre[zb + 2 * u + j] = zh;
                act[zb + j] = z;
                act[zb + u + j] = rr;
                act[zb + 2 * u + j] = hh;
                hrAll[zb + 2 * u + j] = recH;
            }
        }
    }

    /**
     * reset_after=false, first half of step t: the update and reset gates from the input parts ({@code zx}) and the
     * recurrent parts in {@code hrStep[:, :2·units]}, then {@code r·h̃} for the candidate's GEMM; {@code recScale} is
     * the recurrent-dropout mask applied to h, or null.
     */
    void gruGates(int t, int n, double @Nullable [] recScale) {
        Activation ra = recurrentActivation;
        int hp = t * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            int sb = b * g;
            int hb = b * u;
            for (int k = 0; k < 2 * u; k++) {
                pre[zb + k] = zx[zb + k] + hrStep[sb + k];
            }
            if (fastGates) {
                Activation.sigmoidFast(pre, zb, act, zb, 2 * u);
            } else {
                for (int k = 0; k < 2 * u; k++) {
                    act[zb + k] = ra.apply(pre[zb + k]);
                }
            }
            for (int j = 0; j < u; j++) {
                double h = recScale == null ? hH[hp + hb + j] : hH[hp + hb + j] * recScale[hb + j];
                rhAll[hp + hb + j] = act[zb + u + j] * h;
            }
        }
    }

    /** reset_after=false, second half of step t: the candidate from {@code hrStep[:, 2·units:]} = (r·h̃)·R_h, and h. */
    void gruCandidate(int t, int n) {
        Activation f = activation;
        int hp = t * n * u;
        int hn = (t + 1) * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            int sb = b * g;
            int hb = b * u;
            for (int j = 0; j < u; j++) {
                pre[zb + 2 * u + j] = zx[zb + 2 * u + j] + hrStep[sb + 2 * u + j];
            }
            if (fastGates) {
                Activation.tanhFast(pre, zb + 2 * u, act, zb + 2 * u, u);
            } else {
                for (int j = 0; j < u; j++) {
                    act[zb + 2 * u + j] = f.apply(pre[zb + 2 * u + j]);
                }
            }
            for (int j = 0; j < u; j++) {
                double z = act[zb + j];
                hH[hn + hb + j] = z * hH[hp + hb + j] + (1 - z) * act[zb + 2 * u + j];
            }
        }
    }

    /**
     * reset_after=false, first half of BPTT step t: the update-gate and candidate gradients, the candidate's into
     * {@code dCand} for the GEMM back through R_h, and h's direct path into {@code dh}.
     */
    void gruCandidateBackward(int t, int n) {
        Activation f = activation;
        Activation ra = recurrentActivation;
        int hp = t * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            int sb = b * g;
            int hb = b * u;
            for (int j = 0; j < u; j++) {
                double d = dh[hb + j];
                double z = act[zb + j];
                double hh = act[zb + 2 * u + j];
                double dzh = d * (1 - z) * f.derivative(pre[zb + 2 * u + j], hh);
                double dz = d * (hH[hp + hb + j] - hh) * ra.derivative(pre[zb + j], z);
                dzxStep[sb + j] = dz;
                dzxStep[sb + 2 * u + j] = dzh;
                dhrStep[sb + j] = dz;
                dhrStep[sb + 2 * u + j] = 0;
                dCand[hb + j] = dzh;
                dh[hb + j] = d * z;
            }
        }
    }

    /** reset_after=false, second half: from {@code dRh} = dL/d(r·h̃), the reset-gate gradient and h̃'s share. */
    void gruResetBackward(int t, int n, double @Nullable [] recScale) {
        Activation ra = recurrentActivation;
        int hp = t * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            int sb = b * g;
            int hb = b * u;
            for (int j = 0; j < u; j++) {
                double drh = dRh[hb + j];
                double rr = act[zb + u + j];
                double h = recScale == null ? hH[hp + hb + j] : hH[hp + hb + j] * recScale[hb + j];
                double dr = drh * h * ra.derivative(pre[zb + u + j], rr);
                dzxStep[sb + u + j] = dr;
                dhrStep[sb + u + j] = dr;
                viaReset[hb + j] = drh * rr;
            }
        }
    }

    /** One step of BPTT for any cell and activations, element by element. */
    void genericBackward(int t, int n) {
        Activation f = activation;
        Activation ra = recurrentActivation;
        int hp = t * n * u;
        int hn = (t + 1) * n * u;
        for (int b = 0; b < n; b++) {
        int zb = (t * n + b) * g;
        int sb = b * g;
        for (int j = 0; j < u; j++) {
            double d = dh[b * u + j];
            switch (cell) {
                case SIMPLE -> {
                    double dz = d * f.derivative(pre[zb + j], act[zb + j]);
                    dzxStep[sb + j] = dz;
                    dh[b * u + j] = 0;
                }
                case LSTM -> {
                    double i = act[zb + j];
                    double fg = act[zb + u + j];
                    double gg = act[zb + 2 * u + j];
                    double o = act[zb + 3 * u + j];
                    double c = cH[hn + b * u + j];
                    double tc = tcH[hn + b * u + j];
                    double dcc = dc[b * u + j] + d * o * f.derivative(c, tc);
                    dzxStep[sb + j] = dcc * gg * ra.derivative(pre[zb + j], i);
                    dzxStep[sb + u + j] = dcc * cH[hp + b * u + j] * ra.derivative(pre[zb + u + j], fg);
                    dzxStep[sb + 2 * u + j] = dcc * i * f.derivative(pre[zb + 2 * u + j], gg);
                    dzxStep[sb + 3 * u + j] = d * tc * ra.derivative(pre[zb + 3 * u + j], o);
                    dc[b * u + j] = dcc * fg;
                    dh[b * u + j] = 0;
                }
                case GRU -> {
                    double z = act[zb + j];
                    double rr = act[zb + u + j];
                    double hh = act[zb + 2 * u + j];
                    double hPrev = hH[hp + b * u + j];
                    double dzh = d * (1 - z) * f.derivative(pre[zb + 2 * u + j], hh);
                    double dz = d * (hPrev - hh) * ra.derivative(pre[zb + j], z);
                    double dr = dzh * hrAll[zb + 2 * u + j] * ra.derivative(pre[zb + u + j], rr);
                    dzxStep[sb + j] = dz;
                    dzxStep[sb + u + j] = dr;
                    dzxStep[sb + 2 * u + j] = dzh;
                    dhrStep[sb + j] = dz;
                    dhrStep[sb + u + j] = dr;
                    dhrStep[sb + 2 * u + j] = dzh * rr;
                    dh[b * u + j] = d * z; // the direct path h_t = z·h_{t-1} + ...
                }
            }
        }
        }
    }

    /** The LSTM step of BPTT with tanh/sigmoid derivatives written out (1 − y², y(1 − y)), in vectorisable loops. */
    void lstmBackward(int t, int n) {
        int hp = t * n * u;
        int hn = (t + 1) * n * u;
        for (int b = 0; b < n; b++) {
            int zb = (t * n + b) * g;
            int sb = b * g;
            int hb = b * u;
            for (int j = 0; j < u; j++) {
                double d = dh[hb + j];
                double i = act[zb + j];
                double fg = act[zb + u + j];
                double gg = act[zb + 2 * u + j];
                double o = act[zb + 3 * u + j];
                double tc = tcH[hn + hb + j];
                double dcc = dc[hb + j] + d * o * (1 - tc * tc);
                dzxStep[sb + j] = dcc * gg * i * (1 - i);
                dzxStep[sb + u + j] = dcc * cH[hp + hb + j] * fg * (1 - fg);
                dzxStep[sb + 2 * u + j] = dcc * i * (1 - gg * gg);
                dzxStep[sb + 3 * u + j] = d * tc * o * (1 - o);
                dc[hb + j] = dcc * fg;
                dh[hb + j] = 0;
            }
        }
    }
}
