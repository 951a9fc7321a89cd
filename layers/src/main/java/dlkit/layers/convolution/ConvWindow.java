package dlkit.layers.convolution;

import dlkit.ShapeException;
import dlkit.layers.Padding;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** A 2-D convolution's window (kernel size, strides, dilation, padding) as the shape rules and kernels use it. */
record ConvWindow(int[] k, int[] s, int[] d, Padding padding) {
    static ConvWindow of(List<Integer> kernelSize, List<Integer> strides, List<Integer> dilationRate, Padding padding) {
        return new ConvWindow(Sizes.ints(kernelSize), Sizes.ints(strides), Sizes.ints(dilationRate), padding);
    }

    /** {@code [oh, ow]} for images shaped {@code input}, or an error naming the layer when the kernel does not fit. */
    int[] outputSize(String type, @Nullable String name, Shape input) {
        int oh = padding.outputLength(input.dim(0), k[0], s[0], d[0]);
        int ow = padding.outputLength(input.dim(1), k[1], s[1], d[1]);
        if (oh < 1 || ow < 1) {
            throw new ShapeException(type + " '" + name + "': kernel_size " + Arrays.toString(k) + " (dilation " + Arrays.toString(d)
                    + ") is larger than its input " + input + " with padding \"valid\"");
        }
        return new int[] {oh, ow};
    }

    /** Rows and columns of zeros before the image (Keras puts any odd one after). */
    int padTop(Shape in, Shape out) {
        return padding.padBefore(in.dim(0), out.dim(0), k[0], s[0], d[0]);
    }

    int padLeft(Shape in, Shape out) {
        return padding.padBefore(in.dim(1), out.dim(1), k[1], s[1], d[1]);
    }

    /** The integer arguments of libnd4j's conv ops for this window. */
    long[] nativeArgs(Shape in, Shape out) {
        return NativeConv.iArgs(k, s, d, padTop(in, out), padLeft(in, out), padding);
    }
}
