package dlkit.layers.convolution;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.layers.Activation;
import dlkit.layers.LayerTestKit.Expect;
import dlkit.layers.LayerTestKit;
import dlkit.layers.Padding;
import dlkit.layers.Regularizer;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Convolution layers through the shared layer test (float64 gradient checks of the native conv ops). */
class ConvolutionLayersTest {
    @Test
    void conv2dValidSameStridesDilation() {
        LayerTestKit.run(Conv2D.of(3, 3).activation(Activation.RELU), Shape.of(6, 5, 2), new Expect(Shape.of(4, 3, 3), 3 * 3 * 2 * 3 + 3, false));
        LayerTestKit.run(Conv2D.of(2, 3).padding(Padding.SAME), Shape.of(5, 5, 2), new Expect(Shape.of(5, 5, 2), 3 * 3 * 2 * 2 + 2, false));
        LayerTestKit.run(Conv2D.of(2, 2, 3).strides(2, 2).padding(Padding.SAME).useBias(false), Shape.of(5, 6, 1), new Expect(Shape.of(3, 3, 2), 2 * 3 * 2, false));
        LayerTestKit.run(Conv2D.of(2, 2).dilation(2, 2).activation(Activation.TANH), Shape.of(6, 6, 2), new Expect(Shape.of(4, 4, 2), 2 * 2 * 2 * 2 + 2, false));
        // Dilated with many taps, "same": im2col + GEMM with the input gradient scattered back (oneDNN refuses dilation).
        LayerTestKit.run(Conv2D.of(3, 3).dilation(2, 2).padding(Padding.SAME), Shape.of(6, 5, 8), new Expect(Shape.of(6, 5, 3), 3 * 3 * 8 * 3 + 3, false));
        LayerTestKit.run(Conv2D.of(2, 3).kernelRegularizer(Regularizer.l2(0.01)), Shape.of(4, 4, 1), new Expect(Shape.of(2, 2, 2), 3 * 3 * 2 + 2, false));
        LayerTestKit.run(Conv2D.of(4, 3).groups(2).activation(Activation.TANH), Shape.of(5, 5, 4), new Expect(Shape.of(3, 3, 4), 3 * 3 * 2 * 4 + 4, false));
        LayerTestKit.run(Conv2D.of(6, 2).groups(3).padding(Padding.SAME).kernelRegularizer(Regularizer.l2(0.01)), Shape.of(4, 3, 3),
                new Expect(Shape.of(4, 3, 6), 2 * 2 * 1 * 6 + 6, false));
    }

    @Test
    void conv2dOnOneDnnMatchesThePortablePath() {
        LayerTestKit.fastPathMatchesPortable(Conv2D.of(3, 3).activation(Activation.RELU), Shape.of(6, 5, 2));
        LayerTestKit.fastPathMatchesPortable(Conv2D.of(4, 5).padding(Padding.SAME), Shape.of(9, 8, 1));
        LayerTestKit.fastPathMatchesPortable(Conv2D.of(2, 2, 3).strides(2, 2).padding(Padding.SAME).useBias(false), Shape.of(5, 6, 3));
        LayerTestKit.fastPathMatchesPortable(Conv2D.of(3, 3).dilation(2, 2).padding(Padding.SAME), Shape.of(6, 5, 8));
        LayerTestKit.fastPathMatchesPortable(Conv2D.of(6, 2).groups(3).padding(Padding.SAME).kernelRegularizer(Regularizer.l2(0.01)), Shape.of(4, 3, 3));
        LayerTestKit.fastPathMatchesPortable(Conv2D.of(16, 3).strides(2, 1).activation(Activation.GELU), Shape.of(9, 7, 16));
        LayerTestKit.fastPathMatchesPortable(ResidualBlock.of(4).batchNormalization(false), Shape.of(5, 5, 4));
        LayerTestKit.fastPathMatchesPortable(ResidualBlock.of(3).strides(2), Shape.of(5, 4, 2));
        // The activations oneDNN runs as a post-op, and their gradients from the output.
        for (Activation a : new Activation[] {Activation.TANH, Activation.SIGMOID, Activation.ELU}) {
            LayerTestKit.fastPathMatchesPortable(Conv2D.of(4, 3).padding(Padding.SAME).activation(a), Shape.of(5, 6, 3));
        }
    }

    @Test
    void conv1d() {
        LayerTestKit.run(Conv1D.of(3, 3).activation(Activation.RELU), Shape.of(7, 2), new Expect(Shape.of(5, 3), 3 * 2 * 3 + 3, false));
        LayerTestKit.run(Conv1D.of(2, 3).strides(2).padding(Padding.SAME), Shape.of(7, 2), new Expect(Shape.of(4, 2), 3 * 2 * 2 + 2, false));
        LayerTestKit.run(Conv1D.of(2, 2).dilation(2).useBias(false), Shape.of(6, 3), new Expect(Shape.of(4, 2), 2 * 3 * 2, false));
        // Causal: (k - 1)·d zeros before the sequence, output as long as the input (stride 1).
        LayerTestKit.run(Conv1D.of(2, 3).dilation(2).padding(Padding.CAUSAL), Shape.of(7, 2), new Expect(Shape.of(7, 2), 3 * 2 * 2 + 2, false));
        LayerTestKit.run(Conv1D.of(3, 2).strides(2).padding(Padding.CAUSAL), Shape.of(7, 2), new Expect(Shape.of(4, 3), 2 * 2 * 3 + 3, false));
    }

    @Test
    void depthwiseAndTransposedConvolutions() {
        LayerTestKit.run(DepthwiseConv2D.of(3).activation(Activation.TANH), Shape.of(5, 5, 2), new Expect(Shape.of(3, 3, 2), 3 * 3 * 2 + 2, false));
        LayerTestKit.run(DepthwiseConv2D.of(2).depthMultiplier(2).strides(2, 2).padding(Padding.SAME), Shape.of(5, 4, 2),
                new Expect(Shape.of(3, 2, 4), 2 * 2 * 2 * 2 + 4, false));
        LayerTestKit.run(Conv2DTranspose.of(3, 3), Shape.of(3, 4, 2), new Expect(Shape.of(5, 6, 3), 3 * 3 * 3 * 2 + 3, false));
        LayerTestKit.run(Conv2DTranspose.of(2, 3).strides(2, 2).padding(Padding.SAME).activation(Activation.RELU), Shape.of(3, 2, 2),
                new Expect(Shape.of(6, 4, 2), 3 * 3 * 2 * 2 + 2, false));
        LayerTestKit.run(Conv2DTranspose.of(2, 2).strides(2, 2).useBias(false), Shape.of(2, 3, 1), new Expect(Shape.of(4, 6, 2), 2 * 2 * 2, false));
        // Keras' "same" with strides one beyond the kernel: zeros after each window (ONNX export compares the values).
        LayerTestKit.run(Conv2DTranspose.of(2, 2).padding(Padding.SAME).strides(3, 3), Shape.of(2, 3, 1), new Expect(Shape.of(6, 9, 2), 2 * 2 * 2 + 2, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv2DTranspose.of(2, 1).padding(Padding.SAME).strides(3, 3));
        assertTrue(e.getMessage().contains("strides exceed the kernel by 2 or more"), e.getMessage());
    }

    @Test
    void residualBlocksIdentityProjectionAndBottleneck() {
        // Identity shortcut: 2 × (3·3·4·4 kernel + 4 BN γβ + 4+4 moving statistics).
        LayerTestKit.run(ResidualBlock.of(4), Shape.of(5, 5, 4), new Expect(Shape.of(5, 5, 4), 2 * (3 * 3 * 4 * 4 + 16), true));
        // Stride 2 and a channel change: a 1×1 projection with BatchNormalization on the shortcut.
        LayerTestKit.run(ResidualBlock.of(3).strides(2), Shape.of(5, 4, 2),
                new Expect(Shape.of(3, 2, 3), 3 * 3 * 2 * 3 + 12 + 3 * 3 * 3 * 3 + 12 + 2 * 3 + 12, true));
        // Bottleneck: 1×1, 3×3, 1×1.
        LayerTestKit.run(ResidualBlock.of(2).convolutions(3), Shape.of(4, 4, 2),
                new Expect(Shape.of(4, 4, 2), (2 * 2 + 8) + (3 * 3 * 2 * 2 + 8) + (2 * 2 + 8), true));
        // Without BatchNormalization (the PyTorch reference's block): biased convolutions, the same in training and inference.
        LayerTestKit.run(ResidualBlock.of(3).batchNormalization(false), Shape.of(4, 4, 3), new Expect(Shape.of(4, 4, 3), 2 * (3 * 3 * 3 * 3 + 3), false));
        assertThrows(IllegalArgumentException.class, () -> ResidualBlock.of(4).kernelSize(2));
    }
}
