package dlkit.onnx;

import static dlkit.onnx.OnnxGraph.attr;

import dlkit.layers.core.ActivationLayer;
import dlkit.layers.core.Dense;
import dlkit.layers.core.Embedding;
import dlkit.layers.normalization.BatchNormalization;
import dlkit.layers.reshaping.Reshape;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Dense, activations, the layers that are identities at inference, reshaping, Embedding, BatchNormalization. */
final class CoreExports {
    private CoreExports() {}

    static float[] values(INDArray a) {
        return a.dup('c').data().asFloat();
    }

    /** Gemm for a vector per sample; MatMul and Add on the last axis of a longer sample, as Keras' Dense. */
    static String dense(LayerExport.Call c) {
        Dense.Config cfg = ((Dense) c.layer()).config();
        OnnxGraph g = c.graph();
        INDArray k = c.weight("kernel");
        String kernel = g.floats(c.base() + "/kernel", values(k), k.shape());
        String y;
        if (c.inputShape().rank() == 1) {
            List<String> in = cfg.useBias() ? List.of(c.input(), kernel, g.floats(c.base() + "/bias", values(c.weight("bias")), cfg.units()))
                    : List.of(c.input(), kernel);
            y = g.node("Gemm", c.base() + "/gemm", in);
        } else {
            y = g.node("MatMul", c.base() + "/matmul", List.of(c.input(), kernel));
            if (cfg.useBias()) {
                y = g.node("Add", c.base() + "/bias_add", List.of(y, g.floats(c.base() + "/bias", values(c.weight("bias")), cfg.units())));
            }
        }
        return Activations.apply(g, y, cfg.activation(), c.base());
    }

    static String activation(LayerExport.Call c) {
        String y = Activations.apply(c.graph(), c.input(), ((ActivationLayer) c.layer()).config().activation(), c.base());
        return y.equals(c.input()) ? identity(c) : y;
    }

    /** Dropout, GaussianNoise, ActivityRegularization: nothing at inference. */
    static String identity(LayerExport.Call c) {
        return c.graph().node("Identity", c.base(), List.of(c.input()));
    }

    /** Row-major over the channels-last sample, as dlkit's Flatten. */
    static String flatten(LayerExport.Call c) {
        return c.graph().node("Flatten", c.base(), List.of(c.input()), attr("axis", 1L));
    }

    static String reshape(LayerExport.Call c) {
        List<Integer> target = ((Reshape) c.layer()).config().targetShape();
        long[] shape = new long[target.size() + 1];
        shape[0] = -1;
        for (int i = 0; i < target.size(); i++) {
            // The target's own -1 is resolved from the known sample shape, so the batch axis alone is inferred.
            shape[i + 1] = c.outputShape().dim(i);
        }
        return c.graph().node("Reshape", c.base(), List.of(c.input(), c.graph().int64s(c.base() + "/shape", shape)));
    }

    /** Gather of rows by id; the ids arrive as the model's float input and are cast, as dlkit casts them. */
    static String embedding(LayerExport.Call c) {
        Embedding.Config cfg = ((Embedding) c.layer()).config();
        OnnxGraph g = c.graph();
        INDArray e = c.weight("embeddings");
        String ids = g.node("Cast", c.base() + "/ids", List.of(c.input()), attr("to", (long) onnx.Onnx.TensorProto.DataType.INT64.getNumber()));
        return g.node("Gather", c.base(), List.of(g.floats(c.base() + "/embeddings", values(e), e.shape()), ids), attr("axis", 0L));
    }

    /** Inference form: x · γ/√(σ² + ε) + (β − μ · γ/√(σ² + ε)), the constants broadcast along the feature axis. */
    static String batchNormalization(LayerExport.Call c) {
        BatchNormalization.Config cfg = ((BatchNormalization) c.layer()).config();
        int rank = c.inputShape().rank();
        int a = (cfg.axis() < 0 ? cfg.axis() + rank + 1 : cfg.axis()) - 1;
        float[] mean = values(c.weight("moving_mean"));
        float[] var = values(c.weight("moving_variance"));
        float[] gamma = cfg.scale() ? values(c.weight("gamma")) : null;
        float[] beta = cfg.center() ? values(c.weight("beta")) : null;
        int n = mean.length;
        float[] scale = new float[n];
        float[] shift = new float[n];
        for (int i = 0; i < n; i++) {
            double s = (gamma == null ? 1 : gamma[i]) / Math.sqrt(var[i] + cfg.epsilon());
            scale[i] = (float) s;
            shift[i] = (float) ((beta == null ? 0 : beta[i]) - mean[i] * s);
        }
        long[] dims = new long[rank - a];
        java.util.Arrays.fill(dims, 1);
        dims[0] = n;
        OnnxGraph g = c.graph();
        String y = g.node("Mul", c.base() + "/scale", List.of(c.input(), g.floats(c.base() + "/scale", scale, dims)));
        return g.node("Add", c.base(), List.of(y, g.floats(c.base() + "/shift", shift, dims)));
    }
}
