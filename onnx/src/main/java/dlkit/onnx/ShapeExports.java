package dlkit.onnx;

import static dlkit.onnx.OnnxGraph.attr;

import dlkit.layers.merge.Concatenate;
import dlkit.layers.preprocessing.Preprocessing;
import dlkit.layers.reshaping.Cropping2D;
import dlkit.layers.reshaping.UpSampling2D;
import dlkit.layers.reshaping.ZeroPadding2D;
import java.util.List;

/** Padding, cropping and upsampling of images, the merge layers, and the per-value preprocessing layers. */
final class ShapeExports {
    private ShapeExports() {}

    static String zeroPadding2d(LayerExport.Call c) {
        List<List<Integer>> p = ((ZeroPadding2D) c.layer()).config().padding();
        long[] pads = {0, p.get(0).get(0), p.get(1).get(0), 0, 0, p.get(0).get(1), p.get(1).get(1), 0};
        return c.graph().node("Pad", c.base(), List.of(c.input(), c.graph().int64s(c.base() + "/pads", pads)));
    }

    static String cropping2d(LayerExport.Call c) {
        List<List<Integer>> crop = ((Cropping2D) c.layer()).config().cropping();
        int h = c.inputShape().dim(0);
        int w = c.inputShape().dim(1);
        OnnxGraph g = c.graph();
        return g.node("Slice", c.base(), List.of(c.input(), g.int64s(c.base() + "/starts", crop.get(0).get(0), crop.get(1).get(0)),
                g.int64s(c.base() + "/ends", h - crop.get(0).get(1), w - crop.get(1).get(1)), g.int64s(c.base() + "/axes", 1, 2)));
    }

    /** Resize on the channels-last image: nearest repeats rows and columns; bilinear uses Keras' half-pixel centres. */
    static String upSampling2d(LayerExport.Call c) {
        UpSampling2D.Config cfg = ((UpSampling2D) c.layer()).config();
        OnnxGraph g = c.graph();
        String scales = g.floats(c.base() + "/scales", new float[] {1, cfg.size().get(0), cfg.size().get(1), 1}, 4);
        List<String> in = List.of(c.input(), "", scales);
        return cfg.interpolation() == UpSampling2D.Interpolation.NEAREST
                ? g.node("Resize", c.base(), in, attr("mode", "nearest"), attr("coordinate_transformation_mode", "asymmetric"), attr("nearest_mode", "floor"))
                : g.node("Resize", c.base(), in, attr("mode", "linear"), attr("coordinate_transformation_mode", "half_pixel"));
    }

    static String merge(LayerExport.Call c) {
        OnnxGraph g = c.graph();
        return switch (c.layer().type()) {
            case "Add" -> g.node("Sum", c.base(), c.inputs());
            case "Subtract" -> g.node("Sub", c.base(), c.inputs());
            case "Average" -> g.node("Mean", c.base(), c.inputs());
            case "Maximum" -> g.node("Max", c.base(), c.inputs());
            case "Multiply" -> {
                String y = c.inputs().get(0);
                for (int i = 1; i < c.inputs().size(); i++) {
                    y = g.node("Mul", i == c.inputs().size() - 1 ? c.base() : c.base() + "/mul", List.of(y, c.inputs().get(i)));
                }
                yield y;
            }
            case "Concatenate" -> g.node("Concat", c.base(), c.inputs(), attr("axis", (long) ((Concatenate) c.layer()).config().axis()));
            default -> throw new IllegalStateException(c.layer().type());
        };
    }

    /** Rescaling and Normalization act on each value on its own: x · slope + intercept, the constants the layer's own. */
    static String perValueAffine(LayerExport.Call c) {
        double[][] ab = ((Preprocessing<?, ?, ?>) c.layer()).affine(c.inputShape());
        int n = ab[0].length;
        float[] a = new float[n];
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ab[0][i];
            b[i] = (float) ab[1][i];
        }
        long[] shape = new long[c.inputShape().rank() + 1];
        shape[0] = 1;
        for (int i = 0; i < c.inputShape().rank(); i++) {
            shape[i + 1] = c.inputShape().dim(i);
        }
        OnnxGraph g = c.graph();
        String y = g.node("Mul", c.base() + "/scale", List.of(c.input(), g.floats(c.base() + "/scale", a, shape)));
        return g.node("Add", c.base(), List.of(y, g.floats(c.base() + "/offset", b, shape)));
    }
}
