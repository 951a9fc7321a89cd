package dlkit.onnx;

import static dlkit.onnx.OnnxGraph.attr;

import dlkit.layers.Activation;
import java.util.List;

/** dlkit's activations as opset-17 ONNX ops, composed where the opset has no single op (exact GELU, SiLU, Mish). */
final class Activations {
    private Activations() {}

    static String apply(OnnxGraph g, String x, Activation a, String base) {
        String out = base + "/" + a.jsonName();
        return switch (a) {
            case LINEAR -> x;
            case SIGMOID -> g.node("Sigmoid", out, List.of(x));
            case TANH -> g.node("Tanh", out, List.of(x));
            case RELU -> g.node("Relu", out, List.of(x));
            case LEAKY_RELU -> g.node("LeakyRelu", out, List.of(x), attr("alpha", 0.2f));
            case ELU -> g.node("Elu", out, List.of(x), attr("alpha", 1f));
            // 0.5 x (1 + erf(x / √2)): Gelu is an op only from opset 20.
            case GELU -> {
                String erf = g.node("Erf", out + "/erf", List.of(g.node("Mul", out + "/scaled", List.of(x, g.scalar(out + "/inv_sqrt2", 0.70710678f)))));
                String onePlus = g.node("Add", out + "/one_plus", List.of(erf, g.scalar(out + "/one", 1f)));
                yield g.node("Mul", out, List.of(g.node("Mul", out + "/half_x", List.of(x, g.scalar(out + "/half", 0.5f))), onePlus));
            }
            case SOFTMAX -> g.node("Softmax", out, List.of(x), attr("axis", -1L));
            // Keras 3: relu6(x + 3) / 6, which is HardSigmoid with alpha 1/6, beta 1/2; HardSwish is x times that.
            case HARD_SIGMOID -> g.node("HardSigmoid", out, List.of(x), attr("alpha", 1f / 6), attr("beta", 0.5f));
            case HARD_SILU -> g.node("HardSwish", out, List.of(x));
            case RELU6 -> g.node("Clip", out, List.of(x, g.scalar(out + "/min", 0f), g.scalar(out + "/max", 6f)));
            // ONNX's Selu defaults are the same constants (Klambauer et al.), written out for clarity.
            case SELU -> g.node("Selu", out, List.of(x), attr("alpha", 1.6732632f), attr("gamma", 1.0507010f));
            case SOFTPLUS -> g.node("Softplus", out, List.of(x));
            case SOFTSIGN -> g.node("Softsign", out, List.of(x));
            case SILU -> g.node("Mul", out, List.of(x, g.node("Sigmoid", out + "/sigmoid", List.of(x))));
            case MISH -> g.node("Mul", out, List.of(x, g.node("Tanh", out + "/tanh", List.of(g.node("Softplus", out + "/softplus", List.of(x))))));
            case EXPONENTIAL -> g.node("Exp", out, List.of(x));
        };
    }
}
