package dlkit.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.ShapeException;
import dlkit.config.Json;
import dlkit.layers.convolution.Conv1D;
import dlkit.layers.convolution.Conv2D;
import dlkit.layers.convolution.Conv2DTranspose;
import dlkit.layers.convolution.DepthwiseConv2D;
import dlkit.layers.convolution.ResidualBlock;
import dlkit.layers.core.Dense;
import dlkit.layers.normalization.BatchNormalization;
import dlkit.layers.pooling.AveragePooling1D;
import dlkit.layers.pooling.AveragePooling2D;
import dlkit.layers.pooling.GlobalAveragePooling1D;
import dlkit.layers.pooling.GlobalAveragePooling2D;
import dlkit.layers.pooling.GlobalMaxPooling1D;
import dlkit.layers.pooling.GlobalMaxPooling2D;
import dlkit.layers.pooling.MaxPooling1D;
import dlkit.layers.pooling.MaxPooling2D;
import dlkit.layers.registry.LayerRegistry;
import dlkit.layers.reshaping.Cropping2D;
import dlkit.layers.reshaping.UpSampling2D;
import dlkit.layers.reshaping.ZeroPadding2D;
import dlkit.model.LayerTestKit;
import dlkit.model.LayerTestKit.Expect;
import dlkit.model.Sequential;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Convolution and pooling layers through the shared layer test (float64 gradient checks of the native conv ops). */
class ConvLayersTest {
    @Test
    void conv2dValidSameStridesDilation() {
        LayerTestKit.run(Conv2D.of(3, 3).activation(Activation.RELU), Shape.of(6, 5, 2), new Expect(Shape.of(4, 3, 3), 3 * 3 * 2 * 3 + 3, false));
        LayerTestKit.run(Conv2D.of(2, 3).padding(Padding.SAME), Shape.of(5, 5, 2), new Expect(Shape.of(5, 5, 2), 3 * 3 * 2 * 2 + 2, false));
        LayerTestKit.run(Conv2D.of(2, 2, 3).strides(2, 2).padding(Padding.SAME).useBias(false), Shape.of(5, 6, 1), new Expect(Shape.of(3, 3, 2), 2 * 3 * 2, false));
        LayerTestKit.run(Conv2D.of(2, 2).dilation(2, 2).activation(Activation.TANH), Shape.of(6, 6, 2), new Expect(Shape.of(4, 4, 2), 2 * 2 * 2 * 2 + 2, false));
        LayerTestKit.run(Conv2D.of(2, 3).kernelRegularizer(Regularizer.l2(0.01)), Shape.of(4, 4, 1), new Expect(Shape.of(2, 2, 2), 3 * 3 * 2 + 2, false));
        LayerTestKit.run(Conv2D.of(4, 3).groups(2).activation(Activation.TANH), Shape.of(5, 5, 4), new Expect(Shape.of(3, 3, 4), 3 * 3 * 2 * 4 + 4, false));
        LayerTestKit.run(Conv2D.of(6, 2).groups(3).padding(Padding.SAME).kernelRegularizer(Regularizer.l2(0.01)), Shape.of(4, 3, 3),
                new Expect(Shape.of(4, 3, 6), 2 * 2 * 1 * 6 + 6, false));
    }

    @Test
    void bilinearUpsamplingInterpolatesBetweenPixelCentres() {
        // One row [a, b] doubled: half-pixel centres give a, ¾a+¼b, ¼a+¾b, b (Keras' image.resize, bilinear).
        var m = Sequential.of(Input.of(1, 2, 1), UpSampling2D.of(1, 2).interpolation("bilinear"));
        float[] y = m.predict(org.nd4j.linalg.factory.Nd4j.create(new float[] {4, 8}, new long[] {1, 1, 2, 1})).data().asFloat();
        assertArrayEquals(new float[] {4, 5, 7, 8}, y, 1e-6f);
        // Tripled: sources at −1/3, 0, 1/3, 2/3, 1, 4/3 clamp to the edges.
        m = Sequential.of(Input.of(1, 2, 1), UpSampling2D.of(1, 3).interpolation("bilinear"));
        y = m.predict(org.nd4j.linalg.factory.Nd4j.create(new float[] {3, 9}, new long[] {1, 1, 2, 1})).data().asFloat();
        assertArrayEquals(new float[] {3, 3, 5, 7, 9, 9}, y, 1e-5f);
        assertThrows(IllegalArgumentException.class, () -> UpSampling2D.of(2).interpolation("bicubic"));
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
        ShapeException e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(8, 8), ResidualBlock.of(4)));
        assertTrue(e.getMessage().contains("ResidualBlock") && e.getMessage().contains("[8, 8]"), e.getMessage());
    }

    @Test
    void groupedConvolutionEqualsSeparateConvolutionsOnChannelSlices() {
        var grouped = Sequential.of(Input.of(6, 5, 4), Conv2D.of(6, 3).groups(2).padding(Padding.SAME));
        grouped.initialize(5);
        org.nd4j.linalg.api.ndarray.INDArray w = grouped.getWeights().get("conv2d.kernel");
        org.nd4j.linalg.api.ndarray.INDArray b = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 6);
        grouped.setWeights(java.util.Map.of("conv2d.kernel", w, "conv2d.bias", b));
        assertArrayEquals(new long[] {3, 3, 2, 6}, w.shape());
        org.nd4j.linalg.api.ndarray.INDArray x = org.nd4j.linalg.factory.Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 2, 6, 5, 4);
        org.nd4j.linalg.api.ndarray.INDArray y = grouped.predict(x);
        for (int g = 0; g < 2; g++) {
            var single = Sequential.of(Input.of(6, 5, 2), Conv2D.of(3, 3).padding(Padding.SAME));
            var all = org.nd4j.linalg.indexing.NDArrayIndex.all();
            single.setWeights(java.util.Map.of(
                    "conv2d.kernel", w.get(all, all, all, org.nd4j.linalg.indexing.NDArrayIndex.interval(3 * g, 3 * g + 3)).dup(),
                    "conv2d.bias", b.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(3 * g, 3 * g + 3)).dup()));
            org.nd4j.linalg.api.ndarray.INDArray part = single.predict(x.get(all, all, all, org.nd4j.linalg.indexing.NDArrayIndex.interval(2 * g, 2 * g + 2)).dup());
            org.nd4j.linalg.api.ndarray.INDArray mine = y.get(all, all, all, org.nd4j.linalg.indexing.NDArrayIndex.interval(3 * g, 3 * g + 3));
            assertArrayEquals(part.dup().data().asFloat(), mine.dup().data().asFloat(), 1e-5f, "group " + g);
        }
        assertThrows(IllegalArgumentException.class, () -> Conv2D.of(5, 3).groups(2));
        ShapeException e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(6, 6, 3), Conv2D.of(4, 3).groups(2)));
        assertTrue(e.getMessage().contains("groups 2") && e.getMessage().contains("[6, 6, 3]"), e.getMessage());
    }

    @Test
    void pooling() {
        LayerTestKit.run(MaxPooling2D.of(2), Shape.of(4, 6, 3), new Expect(Shape.of(2, 3, 3), 0, false));
        LayerTestKit.run(MaxPooling2D.of(3).strides(2, 2).padding(Padding.SAME), Shape.of(5, 5, 2), new Expect(Shape.of(3, 3, 2), 0, false));
        LayerTestKit.run(AveragePooling2D.of(2), Shape.of(4, 4, 2), new Expect(Shape.of(2, 2, 2), 0, false));
        LayerTestKit.run(AveragePooling2D.of(2).padding(Padding.SAME), Shape.of(5, 3, 2), new Expect(Shape.of(3, 2, 2), 0, false));
        LayerTestKit.run(GlobalAveragePooling2D.of(), Shape.of(3, 4, 2), new Expect(Shape.of(2), 0, false));
        LayerTestKit.run(GlobalMaxPooling2D.of(), Shape.of(3, 4, 2), new Expect(Shape.of(2), 0, false));
        LayerTestKit.run(GlobalAveragePooling2D.of().keepdims(true), Shape.of(3, 4, 2), new Expect(Shape.of(1, 1, 2), 0, false));
    }

    @Test
    void conv1dAndPooling1d() {
        LayerTestKit.run(Conv1D.of(3, 3).activation(Activation.RELU), Shape.of(7, 2), new Expect(Shape.of(5, 3), 3 * 2 * 3 + 3, false));
        LayerTestKit.run(Conv1D.of(2, 3).strides(2).padding(Padding.SAME), Shape.of(7, 2), new Expect(Shape.of(4, 2), 3 * 2 * 2 + 2, false));
        LayerTestKit.run(Conv1D.of(2, 2).dilation(2).useBias(false), Shape.of(6, 3), new Expect(Shape.of(4, 2), 2 * 3 * 2, false));
        LayerTestKit.run(MaxPooling1D.of(2), Shape.of(7, 3), new Expect(Shape.of(3, 3), 0, false));
        LayerTestKit.run(MaxPooling1D.of(3).strides(1).padding(Padding.SAME), Shape.of(5, 2), new Expect(Shape.of(5, 2), 0, false));
        LayerTestKit.run(AveragePooling1D.of(2).padding(Padding.SAME), Shape.of(5, 2), new Expect(Shape.of(3, 2), 0, false));
        LayerTestKit.run(GlobalAveragePooling1D.of(), Shape.of(5, 3), new Expect(Shape.of(3), 0, false));
        LayerTestKit.run(GlobalMaxPooling1D.of().keepdims(true), Shape.of(5, 3), new Expect(Shape.of(1, 3), 0, false));
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
    }

    @Test
    void paddingCroppingUpsampling() {
        LayerTestKit.run(ZeroPadding2D.of(1, 2, 0, 1), Shape.of(3, 2, 2), new Expect(Shape.of(6, 3, 2), 0, false));
        LayerTestKit.run(Cropping2D.of(1, 0, 1, 2), Shape.of(4, 5, 2), new Expect(Shape.of(3, 2, 2), 0, false));
        LayerTestKit.run(UpSampling2D.of(2, 3), Shape.of(2, 2, 2), new Expect(Shape.of(4, 6, 2), 0, false));
        LayerTestKit.run(UpSampling2D.of(2, 3).interpolation("bilinear"), Shape.of(3, 2, 2), new Expect(Shape.of(6, 6, 2), 0, false));
    }

    @Test
    void batchNormalization() {
        LayerTestKit.run(BatchNormalization.of(), Shape.of(3, 2, 4), new Expect(Shape.of(3, 2, 4), 4 * 4, true));
        LayerTestKit.run(BatchNormalization.of().momentum(0.5).scale(false), Shape.of(5), new Expect(Shape.of(5), 3 * 5, true));
        LayerTestKit.run(BatchNormalization.of().axis(1).center(false), Shape.of(3, 4, 2), new Expect(Shape.of(3, 4, 2), 3 * 3, true));
    }

    @Test
    void batchNormalizationStatisticsFollowKeras() {
        var m = Sequential.of(Input.of(2), BatchNormalization.of().momentum(0.9));
        m.compile(dlkit.optim.Sgd.of(0.0), dlkit.loss.Loss.MEAN_SQUARED_ERROR);
        m.initialize(1);
        float[] x = {1, 10, 3, 10, 5, 16};
        var data = new dlkit.data.ArrayDataset(x, Shape.of(2), new float[6], 2);
        m.fit(data, dlkit.model.FitOptions.epochs(1).batchSize(3).seed(1).shuffle(false));
        var w = m.getWeights();
        // batch mean [3, 12], biased variance [8/3, 8]: moving = 0.9 * initial + 0.1 * batch
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0.3f, 1.2f}, w.get("batch_normalization.moving_mean").data().asFloat(), 1e-6f);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {0.9f + 0.8f / 3, 1.7f}, w.get("batch_normalization.moving_variance").data().asFloat(), 1e-6f);
        org.junit.jupiter.api.Assertions.assertEquals(8, m.paramCount());
        org.junit.jupiter.api.Assertions.assertEquals(4, m.trainableParamCount());
        // inference normalises with the moving statistics: (5 - 0.3) / sqrt(0.9 + 8/30 + 1e-3)
        float[] out = m.predict(org.nd4j.linalg.factory.Nd4j.create(new float[] {5, 16}, new long[] {1, 2})).data().asFloat();
        org.junit.jupiter.api.Assertions.assertEquals((5 - 0.3) / Math.sqrt(0.9 + 0.8 / 3 + 1e-3), out[0], 1e-5);
        org.junit.jupiter.api.Assertions.assertEquals((16 - 1.2) / Math.sqrt(1.7 + 1e-3), out[1], 1e-5);
    }

    @Test
    void smallCnnTrainsReproducibly() {
        float[][] runs = new float[2][];
        for (int r = 0; r < 2; r++) {
            var m = Sequential.of(Input.of(8, 8, 1), Conv2D.of(4, 3).activation(Activation.RELU), MaxPooling2D.of(2),
                    Conv2D.of(6, 3).padding(Padding.SAME).activation(Activation.RELU), GlobalAveragePooling2D.of(),
                    Dense.of(3).activation(Activation.SOFTMAX));
            m.compile(dlkit.optim.Adam.of(0.01), dlkit.loss.Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            java.util.SplittableRandom rng = new java.util.SplittableRandom(4);
            float[] x = new float[90 * 64];
            float[] y = new float[90];
            for (int i = 0; i < 90; i++) {
                y[i] = i % 3;
                for (int p = 0; p < 64; p++) {
                    x[i * 64 + p] = (float) (rng.nextGaussian() * 0.3 + ((p % 8) * (y[i] - 1) > 2 ? 1 : 0));
                }
            }
            var h = m.fit(new dlkit.data.ArrayDataset(x, Shape.of(8, 8, 1), y, 1), dlkit.model.FitOptions.epochs(15).batchSize(16).seed(3));
            assertTrue(h.last("loss") < h.get("loss").get(0), "loss decreases: " + h.get("loss"));
            runs[r] = m.getWeights().get("conv2d_1.kernel").data().asFloat();
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(runs[0], runs[1]);
    }

    @Test
    void badSettingsNameTheLayerShapeAndSetting() {
        ShapeException e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(4, 4, 1), Conv2D.of(8, 5)));
        assertTrue(e.getMessage().contains("'conv2d'") && e.getMessage().contains("[5, 5]") && e.getMessage().contains("[4, 4, 1]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(1, 1, 3), MaxPooling2D.of(2)));
        assertTrue(e.getMessage().contains("leaves no output") && e.getMessage().contains("[1, 1, 3]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(28, 28), Conv2D.of(8, 3)));
        assertTrue(e.getMessage().contains("[height, width, channels]"), e.getMessage());
        var zeroStride = Json.MAPPER.createObjectNode().put("type", "Conv2D").put("filters", 4);
        zeroStride.putArray("kernel_size").add(3).add(3);
        zeroStride.putArray("strides").add(0).add(1);
        ConfigException c = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(zeroStride, "model.layers[1]"));
        assertTrue(c.getMessage().startsWith("model.layers[1].strides: expected positive integers"), c.getMessage());
        var rgb = Sequential.of(Input.of(6, 6, 3), Conv2D.of(4, 3));
        var gray = Sequential.of(Input.of(6, 6, 1), Conv2D.of(4, 3));
        var wrongChannels = assertThrows(dlkit.DlkitException.class, () -> gray.setWeights(rgb.getWeights()));
        assertTrue(wrongChannels.getMessage().contains("\"conv2d.kernel\" has shape [3, 3, 3, 4]") && wrongChannels.getMessage().contains("'conv2d' needs [3, 3, 1, 4]"),
                wrongChannels.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(4, 3), Conv1D.of(2, 5)));
        assertTrue(e.getMessage().contains("'conv1d'") && e.getMessage().contains("kernel_size 5") && e.getMessage().contains("[4, 3]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(4, 3), Cropping2D.of(2, 2, 0, 0)));
        assertTrue(e.getMessage().contains("[height, width, channels]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(4, 3, 1), Cropping2D.of(2, 2, 0, 0)));
        assertTrue(e.getMessage().contains("leaves nothing"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(1, 3), MaxPooling1D.of(2)));
        assertTrue(e.getMessage().contains("leaves no output"), e.getMessage());
    }
}
