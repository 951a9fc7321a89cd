package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ShapeException;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.Padding;
import dlkit.layers.Regularizer;
import dlkit.layers.convolution.Conv1D;
import dlkit.layers.convolution.Conv2D;
import dlkit.layers.convolution.ResidualBlock;
import dlkit.layers.core.Dense;
import dlkit.layers.core.Embedding;
import dlkit.layers.normalization.BatchNormalization;
import dlkit.layers.pooling.GlobalAveragePooling2D;
import dlkit.layers.pooling.MaxPooling1D;
import dlkit.layers.pooling.MaxPooling2D;
import dlkit.layers.recurrent.GRU;
import dlkit.layers.recurrent.LSTM;
import dlkit.layers.reshaping.Cropping2D;
import dlkit.layers.reshaping.Flatten;
import dlkit.layers.reshaping.Reshape;
import dlkit.tensor.Shape;
import org.junit.jupiter.api.Test;

/** Layers inside models: the errors a model gives when layers do not fit, weights across models, training behaviour. */
class LayersInModelsTest {
    @Test
    void shapeErrorsNameBothLayersAndShapes() {
        ShapeException e = assertThrows(ShapeException.class,
                () -> Sequential.of(Input.of(28, 28), Flatten.of(), Reshape.of(27, 28)));
        assertTrue(e.getMessage().contains("'reshape'") && e.getMessage().contains("'flatten'") && e.getMessage().contains("784"), e.getMessage());
        assertTrue(e.getMessage().contains("(None, 784)"), e.getMessage());
    }

    /** A Flatten inside TimeDistributed moves no memory: the wrapper aliases its input too (it gave zeros before). */
    @Test
    void timeDistributedFlattenKeepsEveryValueAndPassesGradients() {
        Model flat = Sequential.of(Input.of(3, 2, 2), dlkit.layers.recurrent.TimeDistributed.of(Flatten.of()));
        float[] x = new float[2 * 12];
        for (int i = 0; i < x.length; i++) {
            x[i] = i - 7;
        }
        org.nd4j.linalg.api.ndarray.INDArray in = org.nd4j.linalg.factory.Nd4j.create(x, new long[] {2, 3, 2, 2}, 'c');
        assertArrayEquals(x, flat.predict(in).dup('c').data().asFloat(), 0f);
        Model m64 = Sequential.of(Input.of(3, 2, 2), dlkit.layers.recurrent.TimeDistributed.of(Flatten.of()),
                dlkit.layers.recurrent.TimeDistributed.of(dlkit.layers.core.Dense.of(2))).withDType(dlkit.tensor.DType.FLOAT64);
        m64.compile(dlkit.optim.Sgd.of(), dlkit.loss.Loss.MEAN_SQUARED_ERROR);
        m64.initialize(3);
        ModelTestKit.gradientCheck(m64, java.util.List.of(ModelTestKit.gaussian(4, 2, 3, 2, 2)), java.util.List.of(ModelTestKit.gaussian(5, 2, 3, 2)));
    }

    @Test
    void residualBlockRejectsNonImages() {
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

    @Test
    void embeddingFeedsAnLstmAndChecksIds() {
        var m = new dlkit.model.Sequential("emb", java.util.List.of(Input.of(5), Embedding.of(7, 3).embeddingsRegularizer(Regularizer.l2(0.01)),
                LSTM.of(2), Dense.of(2).activation(Activation.SOFTMAX)), dlkit.tensor.DType.FLOAT64);
        m.compile(dlkit.optim.Sgd.of(), dlkit.loss.Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        m.initialize(2);
        double[] ids = {0, 3, 6, 6, 1, 2, 2, 5, 0, 4, 1, 1, 1, 3, 6};
        double loss = m.computeGradients(org.nd4j.linalg.factory.Nd4j.create(ids, new long[] {3, 5}), org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 1}, new long[] {3}));
        assertTrue(loss > 0);
        double[] grad = m.getGradients().get("embedding.embeddings").data().asDouble();
        // finite differences on every embedding weight, through the LSTM
        var w = m.getWeights();
        double[] e = w.get("embedding.embeddings").data().asDouble();
        for (int i = 0; i < e.length; i++) {
            double[] up = e.clone();
            up[i] += 1e-6;
            double[] down = e.clone();
            down[i] -= 1e-6;
            w.put("embedding.embeddings", org.nd4j.linalg.factory.Nd4j.create(up, new long[] {7, 3}));
            m.setWeights(w);
            double lu = m.computeGradients(org.nd4j.linalg.factory.Nd4j.create(ids, new long[] {3, 5}), org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 1}, new long[] {3}));
            w.put("embedding.embeddings", org.nd4j.linalg.factory.Nd4j.create(down, new long[] {7, 3}));
            m.setWeights(w);
            double ld = m.computeGradients(org.nd4j.linalg.factory.Nd4j.create(ids, new long[] {3, 5}), org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 1}, new long[] {3}));
            double numeric = (lu - ld) / 2e-6;
            org.junit.jupiter.api.Assertions.assertEquals(numeric, grad[i], 1e-7 + 1e-5 * Math.abs(numeric), "embeddings[" + i + "]");
        }
        dlkit.DlkitException bad = assertThrows(dlkit.DlkitException.class, () -> m.predict(org.nd4j.linalg.factory.Nd4j.create(new double[] {0, 1, 7, 2, 3}, new long[] {1, 5})));
        assertTrue(bad.getMessage().contains("'embedding'") && bad.getMessage().contains("token id 7.0") && bad.getMessage().contains("step 2"), bad.getMessage());
    }

    @Test
    void badInputNamesLayerAndShape() {
        ShapeException e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(28), LSTM.of(8)));
        assertTrue(e.getMessage().contains("'lstm'") && e.getMessage().contains("[steps, features]") && e.getMessage().contains("[28]"), e.getMessage());
        e = assertThrows(ShapeException.class, () -> Sequential.of(Input.of(28, 28, 1), GRU.of(8)));
        assertTrue(e.getMessage().contains("Reshape"), e.getMessage());
    }
}
