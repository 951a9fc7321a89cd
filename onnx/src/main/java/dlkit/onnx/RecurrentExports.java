package dlkit.onnx;

import static dlkit.onnx.OnnxGraph.attr;

import dlkit.layers.Activation;
import dlkit.layers.Layer;
import dlkit.layers.recurrent.Bidirectional;
import dlkit.layers.recurrent.GRU;
import dlkit.layers.recurrent.RecurrentLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import onnx.Onnx;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SimpleRNN, LSTM and GRU as ONNX's RNN, LSTM and GRU ops (and Bidirectional as their bidirectional form). Keras'
 * gate order is converted (LSTM i, f, c, o → ONNX's i, o, f, c; GRU z, r, h is the same), its [input, gates] kernels
 * transposed, and reset_after GRU is ONNX's linear_before_reset. dlkit's sequences are batch-first, ONNX's ops
 * time-first: a Transpose on each side.
 */
final class RecurrentExports {
    private RecurrentExports() {}

    /** The weights and settings of one direction, as the ONNX op takes them. */
    private record Direction(float[] w, float[] r, float[] b) {}

    static String recurrent(LayerExport.Call c) {
        RecurrentLayer<?, ?, ?> layer = (RecurrentLayer<?, ?, ?>) c.layer();
        check(c, layer);
        Direction d = direction(c, layer, c.weights(), "");
        return emit(c, layer, List.of(d), "forward", layer.config().returnSequences(), null);
    }

    /** Both directions in one op: ONNX's backward outputs are already in time order, as Keras puts them back. */
    static String bidirectional(LayerExport.Call c) {
        Bidirectional.Config cfg = ((Bidirectional) c.layer()).config();
        Layer inner = cfg.layer();
        if (!(inner instanceof RecurrentLayer<?, ?, ?> layer)) {
            throw c.unsupported("a Bidirectional around " + (inner == null ? "nothing" : inner.type()));
        }
        check(c, layer);
        List<Direction> both = List.of(direction(c, layer, c.weights(), "forward_"), direction(c, layer, c.weights(), "backward_"));
        return emit(c, layer, both, "bidirectional", layer.config().returnSequences(), cfg.mergeMode());
    }

    private static void check(LayerExport.Call c, RecurrentLayer<?, ?, ?> layer) {
        RecurrentLayer.Options o = layer.config();
        if (o.returnState()) {
            throw c.unsupported("return_state");
        }
        if (o.goBackwards()) {
            throw c.unsupported("go_backwards");
        }
        if (o.stateful()) {
            throw c.unsupported("stateful");
        }
        if (c.inputs().size() > 1) {
            throw c.unsupported("initial states given as inputs");
        }
    }

    /** Gate blocks of Keras' order, listed in ONNX's order. */
    private static int[] gateOrder(String type) {
        return switch (type) {
            case "LSTM" -> new int[] {0, 3, 1, 2};
            case "GRU" -> new int[] {0, 1, 2};
            default -> new int[] {0};
        };
    }

    /** [rows, gates·h] (Keras) → [gates·h, rows] (ONNX), the gate blocks reordered. */
    private static float[] transposedGates(INDArray m, int[] order, int h) {
        int rows = (int) m.size(0);
        float[] src = m.dup('c').data().asFloat();
        int cols = (int) m.size(1);
        float[] out = new float[order.length * h * rows];
        for (int g = 0; g < order.length; g++) {
            for (int j = 0; j < h; j++) {
                int from = order[g] * h + j;
                for (int i = 0; i < rows; i++) {
                    out[(g * h + j) * rows + i] = src[i * cols + from];
                }
            }
        }
        return out;
    }

    private static float[] reordered(float[] bias, int from, int[] order, int h) {
        float[] out = new float[order.length * h];
        for (int g = 0; g < order.length; g++) {
            System.arraycopy(bias, from + order[g] * h, out, g * h, h);
        }
        return out;
    }

    private static Direction direction(LayerExport.Call c, RecurrentLayer<?, ?, ?> layer, Map<String, INDArray> weights, String prefix) {
        int h = layer.config().units();
        int[] order = gateOrder(layer.type());
        int gates = order.length * h;
        float[] w = transposedGates(need(c, weights, prefix + "kernel"), order, h);
        float[] r = transposedGates(need(c, weights, prefix + "recurrent_kernel"), order, h);
        float[] b = new float[2 * gates];
        if (layer.config().useBias()) {
            float[] bias = need(c, weights, prefix + "bias").dup('c').data().asFloat();
            System.arraycopy(reordered(bias, 0, order, h), 0, b, 0, gates);
            // reset_after GRU keeps a second bias row for the recurrent product: ONNX's Rb.
            if (layer instanceof GRU g && g.config().resetAfter()) {
                System.arraycopy(reordered(bias, gates, order, h), 0, b, gates, gates);
            }
        }
        return new Direction(w, r, b);
    }

    private static INDArray need(LayerExport.Call c, Map<String, INDArray> weights, String name) {
        INDArray w = weights.get(name);
        if (w == null) {
            throw new IllegalStateException(c.where() + ": no weight '" + name + "' among " + weights.keySet());
        }
        return w;
    }

    /** ONNX's name for an activation its recurrent ops take, with the alpha and beta it consumes. */
    private static void activation(LayerExport.Call c, Activation a, String role, List<String> names, List<Float> alphas, List<Float> betas) {
        switch (a) {
            case SIGMOID -> names.add("Sigmoid");
            case TANH -> names.add("Tanh");
            case RELU -> names.add("Relu");
            case SOFTSIGN -> names.add("Softsign");
            case SOFTPLUS -> names.add("Softplus");
            case LINEAR -> {
                names.add("Affine");
                alphas.add(1f);
                betas.add(0f);
            }
            case HARD_SIGMOID -> {
                names.add("HardSigmoid");
                alphas.add(1f / 6);
                betas.add(0.5f);
            }
            case ELU -> {
                names.add("Elu");
                alphas.add(1f);
            }
            default -> throw c.unsupported(role + "=" + a.jsonName() + " (ONNX's recurrent ops take a fixed set of activations)");
        }
    }

    private static String emit(LayerExport.Call c, RecurrentLayer<?, ?, ?> layer, List<Direction> dirs, String direction, boolean sequences,
                               Bidirectional.MergeMode merge) {
        OnnxGraph g = c.graph();
        String base = c.base();
        String type = layer.type();
        int h = layer.config().units();
        int in = c.inputShape().dim(1);
        int gates = gateOrder(type).length * h;
        int n = dirs.size();
        float[] w = new float[n * gates * in];
        float[] r = new float[n * gates * h];
        float[] b = new float[n * 2 * gates];
        for (int k = 0; k < n; k++) {
            System.arraycopy(dirs.get(k).w(), 0, w, k * gates * in, gates * in);
            System.arraycopy(dirs.get(k).r(), 0, r, k * gates * h, gates * h);
            System.arraycopy(dirs.get(k).b(), 0, b, k * 2 * gates, 2 * gates);
        }
        List<String> names = new ArrayList<>();
        List<Float> alphas = new ArrayList<>();
        List<Float> betas = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            if (!type.equals("SimpleRNN")) {
                activation(c, layer.config().recurrentActivation(), "recurrent_activation", names, alphas, betas);
            }
            activation(c, layer.config().activation(), "activation", names, alphas, betas);
            if (type.equals("LSTM")) {
                activation(c, layer.config().activation(), "activation", names, alphas, betas);
            }
        }
        List<Onnx.AttributeProto> attrs = new ArrayList<>(List.of(attr("hidden_size", (long) h), attr("direction", direction)));
        Onnx.AttributeProto.Builder acts = Onnx.AttributeProto.newBuilder().setName("activations").setType(Onnx.AttributeProto.AttributeType.STRINGS);
        names.forEach(s -> acts.addStrings(org.nd4j.shade.protobuf.ByteString.copyFromUtf8(s)));
        attrs.add(acts.build());
        if (!alphas.isEmpty()) {
            attrs.add(Onnx.AttributeProto.newBuilder().setName("activation_alpha").setType(Onnx.AttributeProto.AttributeType.FLOATS).addAllFloats(alphas).build());
        }
        if (!betas.isEmpty()) {
            attrs.add(Onnx.AttributeProto.newBuilder().setName("activation_beta").setType(Onnx.AttributeProto.AttributeType.FLOATS).addAllFloats(betas).build());
        }
        if (layer instanceof GRU gru) {
            attrs.add(attr("linear_before_reset", gru.config().resetAfter() ? 1L : 0L));
        }
        // A mask: each sample's real steps moved to the front, in order (TopK on a key that ranks them first), and
        // their count as sequence_lens — the same as dlkit skipping the padded steps wherever they are.
        String seq = c.input();
        String lensF = null;
        String lens = null;
        int steps = c.inputShape().dim(0);
        if (c.mask() != null) {
            if (n == 2 && sequences) {
                throw c.unsupported("a masked Bidirectional with return_sequences");
            }
            float[] down = new float[steps];
            float[] up = new float[steps];
            for (int t = 0; t < steps; t++) {
                down[t] = steps - t;
                up[t] = t + 1;
            }
            String mk = c.mask();
            String realKey = g.node("Mul", base + "/real_key", List.of(mk, g.floats(base + "/down", down, 1, steps)));
            String padKey = g.node("Mul", base + "/pad_key", List.of(g.node("Sub", base + "/padding", List.of(g.scalar(base + "/one", 1f), mk)),
                    g.floats(base + "/up", up, 1, steps)));
            String key = g.node("Sub", base + "/key", List.of(realKey, padKey));
            String order = g.fresh(base + "/order");
            g.node("TopK", List.of(key, g.int64s(base + "/steps", steps)), List.of(g.fresh(base + "/keys"), order), attr("axis", 1L), attr("largest", 1L),
                    attr("sorted", 1L));
            seq = g.node("GatherND", base + "/real_first", List.of(c.input(), g.node("Unsqueeze", base + "/order_3d", List.of(order,
                    g.int64s(base + "/last", -1)))), attr("batch_dims", 1L));
            lensF = g.node("ReduceSum", base + "/real_steps", List.of(mk, g.int64s(base + "/time_axis", 1)), attr("keepdims", 0L));
            // ONNX Runtime wants lengths ≥ 1; an all-padding sample's output is zeroed below instead.
            lens = g.node("Cast", base + "/lens", List.of(g.node("Max", base + "/at_least_one", List.of(lensF, g.scalar(base + "/one_step", 1f)))),
                    attr("to", (long) Onnx.TensorProto.DataType.INT32.getNumber()));
        }
        String x = g.node("Transpose", base + "/time_first", List.of(seq), attr("perm", 1L, 0L, 2L));
        String op = switch (type) {
            case "LSTM" -> "LSTM";
            case "GRU" -> "GRU";
            default -> "RNN";
        };
        String y = g.fresh(base + "/y");
        String yh = g.fresh(base + "/y_h");
        List<String> opInputs = new ArrayList<>(List.of(x, g.floats(base + "/W", w, n, gates, in), g.floats(base + "/R", r, n, gates, h),
                g.floats(base + "/B", b, n, 2L * gates)));
        if (lens != null) {
            opInputs.add(lens);
        }
        g.node(op, opInputs, List.of(y, yh), attrs.toArray(Onnx.AttributeProto[]::new));
        if (!sequences) {
            // Y_h [directions, batch, h] → [batch, directions·h] (forward then backward, as Keras concatenates).
            String t = g.node("Transpose", base + "/batch_first", List.of(yh), attr("perm", 1L, 0L, 2L));
            String out = mergeDirections(g, t, n, merge, base + (lensF == null ? "" : "/merged"), new long[] {-1, (long) n * h}, 1);
            if (lensF == null) {
                return out;
            }
            String any = g.node("Cast", base + "/any_real", List.of(g.node("Greater", base + "/has_real", List.of(lensF, g.scalar(base + "/zero", 0f)))),
                    attr("to", Masks.FLOAT));
            return g.node("Mul", base, List.of(out, g.node("Unsqueeze", base + "/any_real_2d", List.of(any, g.int64s(base + "/last_axis", -1)))));
        }
        // Y [time, directions, batch, h] → [batch, time, directions, h] → [batch, time, directions·h].
        String t = g.node("Transpose", base + "/batch_first", List.of(y), attr("perm", 2L, 0L, 1L, 3L));
        String out = mergeDirections(g, t, n, merge, base + (lensF == null ? "" : "/compact"), new long[] {-1, steps, (long) n * h}, 2);
        if (lensF == null) {
            return out;
        }
        // Back to the original steps: step t shows the output after the real steps up to it (a padded step repeats the
        // state before it, as dlkit carries it; zeros before the first real step).
        String seen = g.node("CumSum", base + "/real_so_far", List.of(c.mask(), g.int64Scalar(base + "/cumsum_axis", 1)));
        String index = g.node("Cast", base + "/index_f", List.of(g.node("Sub", base + "/minus_one", List.of(seen, g.scalar(base + "/one_back", 1f)))),
                attr("to", (long) Onnx.TensorProto.DataType.INT64.getNumber()));
        String clamped = g.node("Max", base + "/index", List.of(index, g.int64s(base + "/first", 0)));
        String back = g.node("GatherND", base + "/in_place", List.of(out, g.node("Unsqueeze", base + "/index_3d", List.of(clamped,
                g.int64s(base + "/index_last", -1)))), attr("batch_dims", 1L));
        String started = g.node("Cast", base + "/started", List.of(g.node("Greater", base + "/any_so_far", List.of(seen, g.scalar(base + "/none", 0f)))),
                attr("to", Masks.FLOAT));
        return g.node("Mul", base, List.of(back, g.node("Unsqueeze", base + "/started_3d", List.of(started, g.int64s(base + "/started_last", -1)))));
    }

    /** The inner layer on every time step at once: [n, t, …] folded to [n·t, …], exported, unfolded. */
    static String timeDistributed(LayerExport.Call c) {
        Layer inner = ((dlkit.layers.recurrent.TimeDistributed) c.layer()).config().layer();
        LayerExport export = inner == null ? null : OnnxExport.EXPORTS.get(inner.type());
        if (export == null) {
            throw c.unsupported("a TimeDistributed around " + (inner == null ? "nothing" : inner.type()));
        }
        OnnxGraph g = c.graph();
        int[] in = c.inputShape().dims();
        int[] out = c.outputShape().dims();
        long[] folded = new long[in.length];
        folded[0] = -1;
        for (int i = 1; i < in.length; i++) {
            folded[i] = in[i];
        }
        String x = g.node("Reshape", c.base() + "/fold", List.of(c.input(), g.int64s(c.base() + "/fold_shape", folded)));
        dlkit.tensor.Shape step = dlkit.tensor.Shape.of(java.util.Arrays.copyOfRange(in, 1, in.length));
        dlkit.tensor.Shape stepOut = dlkit.tensor.Shape.of(java.util.Arrays.copyOfRange(out, 1, out.length));
        String y = export.export(new LayerExport.Call(inner, c.base() + "/" + inner.type(), List.of(x), List.of(step), stepOut, c.weights(), g, c.where() + ", its " + inner.type(), null));
        long[] unfolded = new long[out.length + 1];
        unfolded[0] = -1;
        for (int i = 0; i < out.length; i++) {
            unfolded[i + 1] = out[i];
        }
        return g.node("Reshape", c.base(), List.of(y, g.int64s(c.base() + "/unfold_shape", unfolded)));
    }

    /** Concatenation is the reshape itself; sum, mul and ave reduce the directions axis. */
    private static String mergeDirections(OnnxGraph g, String t, int n, Bidirectional.MergeMode merge, String base, long[] shape, int axis) {
        if (n == 1 || merge == Bidirectional.MergeMode.CONCAT) {
            return g.node("Reshape", base, List.of(t, g.int64s(base + "/shape", shape)));
        }
        String axes = g.int64s(base + "/directions_axis", axis);
        return switch (merge) {
            case SUM -> g.node("ReduceSum", base, List.of(t, axes), attr("keepdims", 0L));
            case AVE -> g.node("ReduceMean", base, List.of(t), attr("axes", new long[] {axis}), attr("keepdims", 0L));
            case MUL -> g.node("ReduceProd", base, List.of(t), attr("axes", new long[] {axis}), attr("keepdims", 0L));
            case CONCAT -> throw new IllegalStateException("concat is a reshape");
        };
    }
}
