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

    static List<String> recurrent(LayerExport.Call c) {
        RecurrentLayer<?, ?, ?> layer = (RecurrentLayer<?, ?, ?>) c.layer();
        check(c, layer);
        Direction d = direction(c, layer, c.weights(), "");
        return emit(c, layer, List.of(d), "forward", null);
    }

    /** Both directions in one op: ONNX's backward outputs are already in time order, as Keras puts them back. */
    static List<String> bidirectional(LayerExport.Call c) {
        Bidirectional.Config cfg = ((Bidirectional) c.layer()).config();
        Layer inner = cfg.layer();
        if (!(inner instanceof RecurrentLayer<?, ?, ?> layer)) {
            throw c.unsupported("a Bidirectional around " + (inner == null ? "nothing" : inner.type()));
        }
        check(c, layer);
        List<Direction> both = List.of(direction(c, layer, c.weights(), "forward_"), direction(c, layer, c.weights(), "backward_"));
        return emit(c, layer, both, "bidirectional", cfg.mergeMode());
    }

    private static void check(LayerExport.Call c, RecurrentLayer<?, ?, ?> layer) {
        if (layer.config().stateful()) {
            // An ONNX graph keeps nothing between runs; the same layer with stateful off takes its states as inputs.
            throw c.unsupported("stateful (state carried from one batch to the next; turn stateful off and pass initial states as inputs)");
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

    /**
     * The op for one call, with the sequence (reversed for go_backwards: Keras reads it last step first and gives its
     * outputs in that order, a forward pass over the reversed steps), the mask, and the initial states if given; its
     * outputs: the output, then with return_state the final h (and c).
     */
    private static List<String> emit(LayerExport.Call c, RecurrentLayer<?, ?, ?> layer, List<Direction> dirs, String direction,
                                     Bidirectional.MergeMode merge) {
        OnnxGraph g = c.graph();
        String base = c.base();
        String type = layer.type();
        RecurrentLayer.Options o = layer.config();
        boolean sequences = o.returnSequences();
        int h = o.units();
        int in = c.inputShape().dim(1);
        int steps = c.inputShape().dim(0);
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
        List<Onnx.AttributeProto> attrs = attributes(c, layer, n, direction);

        String seq = c.input();
        String mask = c.mask();
        if (o.goBackwards()) {
            seq = reverseSteps(g, seq, base + "/backwards");
            mask = mask == null ? null : reverseSteps(g, mask, base + "/backwards_mask");
        }
        // Initial states [batch, h] → [directions, batch, h]; with none, a state starts (and an all-padding sample
        // ends) at zero.
        List<String> initial = new ArrayList<>();
        for (int i = 1; i < c.inputs().size(); i++) {
            initial.add(g.node("Unsqueeze", base + "/initial_" + (i == 1 ? "h" : "c"), List.of(c.inputs().get(i), g.int64s(base + "/directions_axis", 0))));
        }
        // A mask: each sample's real steps moved to the front, in order (TopK on a key that ranks them first), and
        // their count as sequence_lens — the same as dlkit skipping the padded steps wherever they are.
        String lensF = null;
        String lens = null;
        if (mask != null) {
            float[] down = new float[steps];
            float[] up = new float[steps];
            for (int t = 0; t < steps; t++) {
                down[t] = steps - t;
                up[t] = t + 1;
            }
            String realKey = g.node("Mul", base + "/real_key", List.of(mask, g.floats(base + "/down", down, 1, steps)));
            String padKey = g.node("Mul", base + "/pad_key", List.of(g.node("Sub", base + "/padding", List.of(g.scalar(base + "/one", 1f), mask)),
                    g.floats(base + "/up", up, 1, steps)));
            String key = g.node("Sub", base + "/key", List.of(realKey, padKey));
            String order = g.fresh(base + "/order");
            g.node("TopK", List.of(key, g.int64s(base + "/steps", steps)), List.of(g.fresh(base + "/keys"), order), attr("axis", 1L), attr("largest", 1L),
                    attr("sorted", 1L));
            seq = g.node("GatherND", base + "/real_first", List.of(seq, g.node("Unsqueeze", base + "/order_3d", List.of(order,
                    g.int64s(base + "/last", -1)))), attr("batch_dims", 1L));
            lensF = g.node("ReduceSum", base + "/real_steps", List.of(mask, g.int64s(base + "/time_axis", 1)), attr("keepdims", 0L));
            // ONNX Runtime wants lengths ≥ 1; an all-padding sample's outputs are replaced below by the initial state.
            lens = g.node("Cast", base + "/lens", List.of(g.node("Max", base + "/at_least_one", List.of(lensF, g.scalar(base + "/one_step", 1f)))),
                    attr("to", (long) Onnx.TensorProto.DataType.INT32.getNumber()));
        }
        String x = g.node("Transpose", base + "/time_first", List.of(seq), attr("perm", 1L, 0L, 2L));
        String op = switch (type) {
            case "LSTM" -> "LSTM";
            case "GRU" -> "GRU";
            default -> "RNN";
        };
        List<String> opInputs = new ArrayList<>(List.of(x, g.floats(base + "/W", w, n, gates, in), g.floats(base + "/R", r, n, gates, h),
                g.floats(base + "/B", b, n, 2L * gates)));
        if (lens != null || !initial.isEmpty()) {
            opInputs.add(lens == null ? "" : lens);
            opInputs.addAll(initial);
        }
        boolean cellState = o.returnState() && type.equals("LSTM");
        String y = g.fresh(base + "/y");
        String yh = g.fresh(base + "/y_h");
        String yc = cellState ? g.fresh(base + "/y_c") : null;
        g.node(op, opInputs, yc == null ? List.of(y, yh) : List.of(y, yh, yc), attrs.toArray(Onnx.AttributeProto[]::new));

        // Where a sample has no real step, dlkit's state is the initial one (or zero): any_real [batch, 1].
        String anyReal = lensF == null || (sequences && !o.returnState()) ? null : g.node("Unsqueeze", base + "/any_real", List.of(g.node("Greater", base + "/has_real",
                List.of(lensF, g.scalar(base + "/zero", 0f))), g.int64s(base + "/any_real_axis", -1)));
        List<String> outs = new ArrayList<>();
        if (!sequences) {
            // Y_h [directions, batch, h] → [batch, directions·h] (forward then backward, as Keras concatenates).
            String t = g.node("Transpose", base + "/batch_first", List.of(yh), attr("perm", 1L, 0L, 2L));
            String out = mergeDirections(g, t, n, merge, base + (anyReal == null ? "" : "/merged"), new long[] {-1, (long) n * h}, 1);
            outs.add(anyReal == null ? out : orInitial(g, base, anyReal, out, initial.isEmpty() ? null : c.inputs().get(1)));
        } else if (mask == null) {
            // Y [time, directions, batch, h] → [batch, time, directions, h] → [batch, time, directions·h].
            String t = g.node("Transpose", base + "/batch_first", List.of(y), attr("perm", 2L, 0L, 1L, 3L));
            outs.add(mergeDirections(g, t, n, merge, base, new long[] {-1, steps, (long) n * h}, 2));
        } else {
            // Back to the original steps, each direction on its own, then merged.
            String t = g.node("Transpose", base + "/batch_first", List.of(y), attr("perm", 2L, 0L, 1L, 3L));
            String forward = scatterBack(c, t, 0, n, mask, lensF, initial.isEmpty() ? null : c.inputs().get(1), false, base + (n == 1 ? "" : "/forward"));
            outs.add(n == 1 ? forward : mergeTwo(g, forward, scatterBack(c, t, 1, n, mask, lensF, null, true, base + "/backward"), merge, base));
        }
        if (o.returnState()) {
            // The final states [1, batch, h] → [batch, h].
            List<String> finals = yc == null ? List.of(yh) : List.of(yh, yc);
            for (int i = 0; i < finals.size(); i++) {
                String name = base + (i == 0 ? "/h" : "/c");
                String state = g.node("Squeeze", name + (anyReal == null ? "" : "_computed"), List.of(finals.get(i), g.int64s(name + "_axis", 0)));
                outs.add(anyReal == null ? state : orInitial(g, name, anyReal, state, initial.isEmpty() ? null : c.inputs().get(1 + i)));
            }
        }
        return outs;
    }

    /** The op's attributes: sizes, direction, activations as ONNX names them, GRU's reset rule. */
    private static List<Onnx.AttributeProto> attributes(LayerExport.Call c, RecurrentLayer<?, ?, ?> layer, int n, String direction) {
        String type = layer.type();
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
        List<Onnx.AttributeProto> attrs = new ArrayList<>(List.of(attr("hidden_size", (long) layer.config().units()), attr("direction", direction)));
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
        return attrs;
    }

    /** [batch, steps, …] with its steps in reverse order. */
    private static String reverseSteps(OnnxGraph g, String x, String base) {
        return g.node("Slice", base, List.of(x, g.int64s(base + "/starts", -1), g.int64s(base + "/ends", Long.MIN_VALUE), g.int64s(base + "/axes", 1),
                g.int64s(base + "/step", -1)));
    }

    /** {@code value} where the sample had a real step, else its initial state (or zero when there is none). */
    private static String orInitial(OnnxGraph g, String base, String anyReal, String value, String initial) {
        if (initial == null) {
            return g.node("Mul", base, List.of(value, g.node("Cast", base + "/any_real_f", List.of(anyReal), attr("to", Masks.FLOAT))));
        }
        return g.node("Where", base, List.of(anyReal, value, initial));
    }

    /**
     * One direction's outputs [batch, time, h], computed on the real steps moved first, put back at the original
     * steps as dlkit gives them: a padded step repeats the state before it (in the direction's reading order) and
     * steps before the first real one show the initial state (or zeros). Forward, step t shows output k − 1 where
     * k real steps are at or before t; backward (ONNX's reverse direction, whose outputs are in time order), output
     * j where j real steps come before t — as long as a real step is at or after t.
     */
    private static String scatterBack(LayerExport.Call c, String t, int dir, int n, String mask, String lens, String initial, boolean backward,
                                      String base) {
        OnnxGraph g = c.graph();
        int steps = c.inputShape().dim(0);
        String y = n == 1 ? g.node("Squeeze", base + "/compact", List.of(t, g.int64s(base + "/directions", 2)))
                : g.node("Gather", base + "/compact", List.of(t, g.int64Scalar(base + "/direction", dir)), attr("axis", 2L));
        String seen = backward
                ? g.node("CumSum", base + "/real_before", List.of(mask, g.int64Scalar(base + "/cumsum_axis", 1)), attr("exclusive", 1L))
                : g.node("CumSum", base + "/real_so_far", List.of(mask, g.int64Scalar(base + "/cumsum_axis", 1)));
        String position = backward ? seen : g.node("Sub", base + "/minus_one", List.of(seen, g.scalar(base + "/one_back", 1f)));
        String index = g.node("Cast", base + "/index_f", List.of(position), attr("to", (long) Onnx.TensorProto.DataType.INT64.getNumber()));
        String clamped = g.node("Min", base + "/index", List.of(g.node("Max", base + "/index_low", List.of(index, g.int64s(base + "/first", 0))),
                g.int64s(base + "/last_step", steps - 1L)));
        String back = g.node("GatherND", base + "/in_place", List.of(y, g.node("Unsqueeze", base + "/index_3d", List.of(clamped,
                g.int64s(base + "/index_last", -1)))), attr("batch_dims", 1L));
        String valid = backward
                ? g.node("Less", base + "/real_after", List.of(seen, g.node("Unsqueeze", base + "/lens_2d", List.of(lens, g.int64s(base + "/lens_axis", -1)))))
                : g.node("Greater", base + "/any_so_far", List.of(seen, g.scalar(base + "/none", 0f)));
        String valid3d = g.node("Unsqueeze", base + "/valid", List.of(valid, g.int64s(base + "/valid_last", -1)));
        if (initial == null) {
            return g.node("Mul", base, List.of(back, g.node("Cast", base + "/valid_f", List.of(valid3d), attr("to", Masks.FLOAT))));
        }
        return g.node("Where", base, List.of(valid3d, back, g.node("Unsqueeze", base + "/initial_3d", List.of(initial, g.int64s(base + "/initial_axis", 1)))));
    }

    /** The two directions' [batch, time, h] outputs merged as Bidirectional's merge_mode says. */
    private static String mergeTwo(OnnxGraph g, String f, String b, Bidirectional.MergeMode merge, String base) {
        return switch (merge) {
            case CONCAT -> g.node("Concat", base, List.of(f, b), attr("axis", -1L));
            case SUM -> g.node("Add", base, List.of(f, b));
            case MUL -> g.node("Mul", base, List.of(f, b));
            case AVE -> g.node("Mul", base, List.of(g.node("Add", base + "/sum", List.of(f, b)), g.scalar(base + "/half", 0.5f)));
        };
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
        String y = export.export(new LayerExport.Call(inner, c.base() + "/" + inner.type(), List.of(x), List.of(step), stepOut, c.weights(), g, c.where() + ", its " + inner.type(), null)).get(0);
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
