package dlkit.layers.internal;

import static org.bytedeco.dnnl.global.dnnl.*;

import dlkit.layers.Activation;
import dlkit.tensor.Dnnl;
import org.bytedeco.dnnl.dnnl_eltwise_desc_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc_t;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.jspecify.annotations.NonNull;

/**
 * The activations oneDNN applies as a post-op of a convolution or matrix product, in their "use dst for backward"
 * form: the forward keeps no pre-activation and the gradient is one oneDNN pass from the output, in place.
 */
public final class DnnlActivation {
    private DnnlActivation() {}

    /** The post-op for {@code act}, or 0 when dlkit runs it (any other activation, or a loss that fuses with it). */
    public static int postOp(@NonNull Activation act, boolean lossFused) {
        if (lossFused) {
            return 0;
        }
        return switch (act) {
            case RELU -> dnnl_eltwise_relu_use_dst_for_bwd;
            case TANH -> dnnl_eltwise_tanh_use_dst_for_bwd;
            case SIGMOID -> dnnl_eltwise_logistic_use_dst_for_bwd;
            case ELU -> dnnl_eltwise_elu_use_dst_for_bwd;
            default -> 0;
        };
    }

    /** The post-op's alpha: ELU's 1 (Keras' default), 0 otherwise. */
    public static float alpha(int postOp) {
        return postOp == dnnl_eltwise_elu_use_dst_for_bwd ? 1f : 0f;
    }

    /** dy ← f'(z)·dy from the output {@code y} (both laid out as {@code md}). */
    public static Dnnl.@NonNull Step gradient(Dnnl.@NonNull Session session, int postOp, @NonNull dnnl_memory_desc_t md,
                                              @NonNull dnnl_memory y, @NonNull dnnl_memory dy, String what) {
        float alpha = alpha(postOp);
        dnnl_eltwise_desc_t forward = new dnnl_eltwise_desc_t();
        Dnnl.check(dnnl_eltwise_forward_desc_init(forward, dnnl_forward_training, postOp, md, alpha, 0f), "describing " + what);
        dnnl_primitive_desc hint = session.describe(forward, null, what + " (activation)");
        dnnl_eltwise_desc_t backward = new dnnl_eltwise_desc_t();
        Dnnl.check(dnnl_eltwise_backward_desc_init(backward, postOp, md, md, alpha, 0f), "describing " + what);
        dnnl_primitive_desc pd = session.describe(backward, hint, what + " (activation gradient)");
        return session.step(pd, DNNL_ARG_DST, y, DNNL_ARG_DIFF_DST, dy, DNNL_ARG_DIFF_SRC, dy);
    }

}
