package dlkit.layers.internal;

import dlkit.layers.BuildContext;
import dlkit.layers.Regularizer;
import dlkit.tensor.Buf;
import org.jspecify.annotations.Nullable;

/** The kernel and bias regularisers of a layer bound to its weights and gradients (Dense, Conv2D). */
public record WeightPenalty(@Nullable Regularizer kernelReg, Buf kernel, Buf kernelGrad,
                     @Nullable Regularizer biasReg, @Nullable Buf bias, @Nullable Buf biasGrad) {
    /** The layer's penalties, or none for a shared layer's later calls (a layer's weights are penalised once). */
    public static WeightPenalty of(BuildContext ctx, @Nullable Regularizer kernelReg, Buf kernel, Buf kernelGrad,
                            @Nullable Regularizer biasReg, @Nullable Buf bias, @Nullable Buf biasGrad) {
        boolean on = ctx.regularizesWeights() && !ctx.frozen();
        return new WeightPenalty(on ? kernelReg : null, kernel, kernelGrad, on ? biasReg : null, bias, biasGrad);
    }

    /** Adds the penalties' gradients to the weight gradients. */
    public void addGradients() {
        if (kernelReg != null) {
            kernelReg.addGradient(kernel, kernelGrad, kernel.length());
        }
        if (biasReg != null && bias != null) {
            biasReg.addGradient(bias, biasGrad, bias.length());
        }
    }

    public double value() {
        double p = 0;
        if (kernelReg != null) {
            p += kernelReg.penalty(kernel, kernel.length());
        }
        if (biasReg != null && bias != null) {
            p += biasReg.penalty(bias, bias.length());
        }
        return p;
    }
}
