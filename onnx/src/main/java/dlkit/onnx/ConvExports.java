package dlkit.onnx;

import static dlkit.onnx.OnnxGraph.attr;

import dlkit.layers.Activation;
import dlkit.layers.Padding;
import dlkit.layers.convolution.Conv1D;
import dlkit.layers.convolution.Conv2D;
import dlkit.layers.convolution.Conv2DTranspose;
import dlkit.layers.convolution.DepthwiseConv2D;
import dlkit.layers.pooling.GlobalPooling;
import dlkit.layers.pooling.Pooling1D;
import dlkit.layers.pooling.Pooling2D;
import dlkit.tensor.Shape;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Convolutions and pooling. ONNX's Conv and pools take channels-first data and dlkit's are channels-last, so each
 * runs between two Transposes; ONNX Runtime's transpose optimizer cancels the pairs that meet between layers.
 */
final class ConvExports {
    private ConvExports() {}

    /** [n, spatial…, c] → [n, c, spatial…]. */
    static String toChannelsFirst(OnnxGraph g, String x, int sampleRank, String base) {
        long[] perm = new long[sampleRank + 1];
        perm[1] = sampleRank;
        for (int i = 2; i <= sampleRank; i++) {
            perm[i] = i - 1;
        }
        return g.node("Transpose", base + "/nchw", List.of(x), attr("perm", perm));
    }

    /** [n, c, spatial…] → [n, spatial…, c]. */
    static String toChannelsLast(OnnxGraph g, String x, int sampleRank, String base) {
        long[] perm = new long[sampleRank + 1];
        for (int i = 1; i < sampleRank; i++) {
            perm[i] = i + 1;
        }
        perm[sampleRank] = 1;
        return g.node("Transpose", base + "/nhwc", List.of(x), attr("perm", perm));
    }

    /**
     * ONNX pads (all begins, then all ends) for Keras' padding over the spatial axes: same pads (k − 1)·d + 1 − s more
     * at the end when odd, as TensorFlow; causal pads (k − 1)·d before.
     */
    static long[] pads(Padding padding, int[] in, List<Integer> kernel, List<Integer> strides, List<Integer> dilation) {
        int r = in.length;
        long[] pads = new long[2 * r];
        for (int i = 0; i < r; i++) {
            int k = kernel.get(i);
            int s = strides.get(i);
            int d = dilation == null ? 1 : dilation.get(i);
            int effective = (k - 1) * d + 1;
            switch (padding) {
                case VALID -> { }
                case SAME -> {
                    int out = (in[i] + s - 1) / s;
                    int total = Math.max((out - 1) * s + effective - in[i], 0);
                    pads[i] = total / 2;
                    pads[r + i] = total - total / 2;
                }
                case CAUSAL -> pads[i] = effective - 1;
            }
        }
        return pads;
    }

    private static int[] spatial(Shape sample) {
        int[] d = sample.dims();
        return java.util.Arrays.copyOf(d, d.length - 1);
    }

    private static long[] longs(List<Integer> v) {
        return v.stream().mapToLong(Integer::longValue).toArray();
    }

    /** Keras' kernel [spatial…, in, out] as ONNX's [out, in, spatial…]. */
    private static String kernel(LayerExport.Call c, INDArray k) {
        int r = k.rank();
        int[] perm = new int[r];
        perm[0] = r - 1;
        perm[1] = r - 2;
        for (int i = 2; i < r; i++) {
            perm[i] = i - 2;
        }
        INDArray t = k.permute(perm).dup('c');
        return c.graph().floats(c.base() + "/kernel", CoreExports.values(t), t.shape());
    }

    private static String conv(LayerExport.Call c, String kernel, boolean useBias, int filters, List<Integer> kernelSize, List<Integer> strides,
                               Padding padding, List<Integer> dilation, long groups, Activation activation) {
        OnnxGraph g = c.graph();
        int rank = c.inputShape().rank();
        String x = toChannelsFirst(g, c.input(), rank, c.base());
        List<String> in = useBias ? List.of(x, kernel, g.floats(c.base() + "/bias", CoreExports.values(c.weight("bias")), filters)) : List.of(x, kernel);
        String y = g.node("Conv", c.base() + "/conv", in, attr("kernel_shape", longs(kernelSize)), attr("strides", longs(strides)),
                attr("dilations", longs(dilation)), attr("group", groups), attr("pads", pads(padding, spatial(c.inputShape()), kernelSize, strides, dilation)));
        return Activations.apply(g, toChannelsLast(g, y, rank, c.base()), activation, c.base());
    }

    static String conv2d(LayerExport.Call c) {
        Conv2D.Config cfg = ((Conv2D) c.layer()).config();
        return conv(c, kernel(c, c.weight("kernel")), cfg.useBias(), cfg.filters(), cfg.kernelSize(), cfg.strides(), cfg.padding(), cfg.dilationRate(),
                cfg.groups(), cfg.activation());
    }

    static String conv1d(LayerExport.Call c) {
        Conv1D.Config cfg = ((Conv1D) c.layer()).config();
        return conv(c, kernel(c, c.weight("kernel")), cfg.useBias(), cfg.filters(), cfg.kernelSize(), cfg.strides(), cfg.padding(), cfg.dilationRate(),
                1, cfg.activation());
    }

    /** A grouped Conv with one group per input channel; Keras' output channel c·m + j is ONNX's too. */
    static String depthwise(LayerExport.Call c) {
        DepthwiseConv2D.Config cfg = ((DepthwiseConv2D) c.layer()).config();
        INDArray k = c.weight("kernel"); // [kh, kw, in, m]
        long kh = k.size(0);
        long kw = k.size(1);
        long in = k.size(2);
        long m = k.size(3);
        INDArray t = k.permute(2, 3, 0, 1).dup('c').reshape('c', in * m, 1, kh, kw);
        String kernel = c.graph().floats(c.base() + "/kernel", CoreExports.values(t), t.shape());
        return conv(c, kernel, cfg.useBias(), (int) (in * m), cfg.kernelSize(), cfg.strides(), cfg.padding(), cfg.dilationRate(), in, cfg.activation());
    }

    /**
     * ConvTranspose, cropped as TensorFlow's conv2d_transpose: valid adds nothing; same gives in·s, cropping the
     * (k − 1)·d + 1 − s extra values less at the start.
     */
    static String conv2dTranspose(LayerExport.Call c) {
        Conv2DTranspose.Config cfg = ((Conv2DTranspose) c.layer()).config();
        OnnxGraph g = c.graph();
        INDArray k = c.weight("kernel"); // [kh, kw, out, in]
        INDArray t = k.permute(3, 2, 0, 1).dup('c');
        String kernel = g.floats(c.base() + "/kernel", CoreExports.values(t), t.shape());
        long[] pads = new long[4];
        long[] extra = new long[2];
        if (cfg.padding() == Padding.SAME) {
            for (int i = 0; i < 2; i++) {
                int total = (cfg.kernelSize().get(i) - 1) * cfg.dilationRate().get(i) + 1 - cfg.strides().get(i);
                if (total >= 0) {
                    pads[i] = total / 2;
                    pads[2 + i] = total - total / 2;
                } else {
                    // A stride beyond the kernel leaves zeros after each window's values: in·s still, by output_padding.
                    extra[i] = -total;
                }
            }
        }
        String x = toChannelsFirst(g, c.input(), 3, c.base());
        List<String> in = cfg.useBias() ? List.of(x, kernel, g.floats(c.base() + "/bias", CoreExports.values(c.weight("bias")), cfg.filters()))
                : List.of(x, kernel);
        String y = g.node("ConvTranspose", c.base() + "/conv_transpose", in, attr("kernel_shape", longs(cfg.kernelSize())),
                attr("strides", longs(cfg.strides())), attr("dilations", longs(cfg.dilationRate())), attr("pads", pads), attr("output_padding", extra));
        return Activations.apply(g, toChannelsLast(g, y, 3, c.base()), cfg.activation(), c.base());
    }

    private static String pool(LayerExport.Call c, boolean max, List<Integer> size, List<Integer> strides, Padding padding) {
        OnnxGraph g = c.graph();
        int rank = c.inputShape().rank();
        String x = toChannelsFirst(g, c.input(), rank, c.base());
        long[] pads = pads(padding, spatial(c.inputShape()), size, strides, null);
        // Average pools divide by the values inside the input only, as Keras does at the edges of "same".
        String y = max ? g.node("MaxPool", c.base() + "/pool", List.of(x), attr("kernel_shape", longs(size)), attr("strides", longs(strides)), attr("pads", pads))
                : g.node("AveragePool", c.base() + "/pool", List.of(x), attr("kernel_shape", longs(size)), attr("strides", longs(strides)), attr("pads", pads),
                        attr("count_include_pad", 0L));
        return toChannelsLast(g, y, rank, c.base());
    }

    static String pool2d(LayerExport.Call c) {
        Pooling2D.Config cfg = ((Pooling2D<?>) c.layer()).config();
        return pool(c, c.layer().type().startsWith("Max"), cfg.poolSize(), cfg.strides() != null ? cfg.strides() : cfg.poolSize(), cfg.padding());
    }

    static String pool1d(LayerExport.Call c) {
        Pooling1D.Config cfg = ((Pooling1D<?>) c.layer()).config();
        return pool(c, c.layer().type().startsWith("Max"), cfg.poolSize(), cfg.strides() != null ? cfg.strides() : cfg.poolSize(), cfg.padding());
    }

    /** ReduceMean or ReduceMax over the spatial axes (opset 17 takes them as an attribute). */
    static String globalPool(LayerExport.Call c) {
        GlobalPooling.Config cfg = ((GlobalPooling<?>) c.layer()).config();
        long[] axes = new long[c.inputShape().rank() - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        String op = c.layer().type().startsWith("GlobalMax") ? "ReduceMax" : "ReduceMean";
        return c.graph().node(op, c.base(), List.of(c.input()), attr("axes", axes), attr("keepdims", cfg.keepdims() ? 1L : 0L));
    }

    /** The block as its inner layers: main chain, shortcut chain (or the input), their sum, then ReLU. */
    static String residualBlock(LayerExport.Call c) {
        dlkit.layers.convolution.ResidualBlock block = (dlkit.layers.convolution.ResidualBlock) c.layer();
        String main = chain(c, block.main());
        List<dlkit.layers.convolution.ResidualBlock.Part> shortcut = block.shortcut(c.inputShape());
        String skip = shortcut.isEmpty() ? c.input() : chain(c, shortcut);
        OnnxGraph g = c.graph();
        return g.node("Relu", c.base(), List.of(g.node("Add", c.base() + "/add", List.of(main, skip))));
    }

    private static String chain(LayerExport.Call c, List<dlkit.layers.convolution.ResidualBlock.Part> parts) {
        String x = c.input();
        Shape s = c.inputShape();
        for (dlkit.layers.convolution.ResidualBlock.Part p : parts) {
            Shape out = p.layer().outputShape(s);
            java.util.Map<String, INDArray> weights = new java.util.HashMap<>();
            c.weights().forEach((name, w) -> {
                if (name.startsWith(p.prefix())) {
                    weights.put(name.substring(p.prefix().length()), w);
                }
            });
            LayerExport export = OnnxExport.EXPORTS.get(p.layer().type());
            String base = c.base() + "/" + p.prefix().substring(0, p.prefix().length() - 1);
            x = export.export(new LayerExport.Call(p.layer(), base, List.of(x), List.of(s), out, weights, c.graph(), c.where() + ", its " + p.prefix(), null)).get(0);
            s = out;
        }
        return x;
    }
}
