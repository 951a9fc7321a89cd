package dlkit.layers.internal;

import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.Regularizer;
import dlkit.tensor.Blas;
import dlkit.tensor.Buf;
import org.jspecify.annotations.Nullable;

/**
 * {@code y = activation(x · kernel + bias)} over rows of {@code k} values into the layer's output, and its backward:
 * Dense's kernel, and a convolution's once im2col has laid its windows out as rows. The bias is added by a rank-1
 * GEMM; the weight gradients are two more GEMMs (and the input gradient a third), all into planned buffers.
 */
public final class Affine implements Kernel {
    private final int k;
    private final int units;
    private final int rowsPerSample;
    private final Buf x;
    private final @Nullable Buf dx;
    private final Buf z;
    private final Buf y;
    private final Buf dy;
    private final Buf w;
    private final Buf dw;
    private final @Nullable Buf b;
    private final @Nullable Buf db;
    private final Buf ones;
    private final Activation act;
    private final boolean fused;
    private final WeightPenalty penalty;

    /**
     * {@code x}: {@code rowsPerSample} rows of {@code k} values per sample (the layer's input, or im2col columns);
     * {@code dx} where the input gradient goes, or null. Weights are the context's {@code kernel} and {@code bias}.
     */
    public Affine(BuildContext ctx, Buf x, @Nullable Buf dx, int k, int rowsPerSample, Activation act, boolean useBias,
                  @Nullable Regularizer kernelReg, @Nullable Regularizer biasReg) {
        this.k = k;
        this.units = ctx.outputShape().last();
        this.rowsPerSample = rowsPerSample;
        this.x = x;
        this.dx = dx;
        this.y = ctx.output();
        this.dy = ctx.outputGrad();
        this.act = act;
        this.z = act.backwardNeedsInput() ? ctx.scratch(ctx.outputShape().size()) : y;
        this.w = ctx.param("kernel");
        this.dw = ctx.grad("kernel");
        this.b = useBias ? ctx.param("bias") : null;
        this.db = useBias ? ctx.grad("bias") : null;
        this.ones = ctx.ones(ctx.maxBatch() * rowsPerSample);
        this.fused = ctx.lossFused();
        this.penalty = WeightPenalty.of(ctx, kernelReg, w, dw, biasReg, b, db);
    }

    @Override
    public void forward(int n, boolean training, long step) {
        int rows = n * rowsPerSample;
        if (b != null) {
            Blas.gemm(false, false, rows, units, 1, 1, ones, 1, b, units, 0, z, units);
            Blas.gemm(false, false, rows, units, k, 1, x, k, w, units, 1, z, units);
        } else {
            Blas.gemm(false, false, rows, units, k, 1, x, k, w, units, 0, z, units);
        }
        if (act != Activation.LINEAR) {
            act.forward(z, y, rows, units);
        }
    }

    @Override
    public void backward(int n) {
        int rows = n * rowsPerSample;
        if (!fused && act != Activation.LINEAR) {
            act.backward(z, y, dy, dy, rows, units); // dy now holds dL/dz
        }
        Blas.gemm(true, false, k, units, rows, 1, x, k, dy, units, 0, dw, units);
        if (db != null) {
            Blas.gemvT(rows, units, 1, dy, units, ones, 0, db);
        }
        if (dx != null) {
            Blas.gemm(false, true, rows, k, units, 1, dy, units, w, units, 0, dx, k);
        }
        penalty.addGradients();
    }

    @Override
    public double penalty() {
        return penalty.value();
    }
}
