package dlkit

import dlkit.data.ArrayDataset
import dlkit.layers.Activation
import dlkit.layers.Input
import dlkit.layers.Padding
import dlkit.layers.convolution.Conv2D
import dlkit.layers.core.Dense
import dlkit.layers.merge.Add
import dlkit.layers.merge.Concatenate
import dlkit.layers.normalization.BatchNormalization
import dlkit.layers.pooling.MaxPooling2D
import dlkit.layers.recurrent.Bidirectional
import dlkit.layers.recurrent.GRU
import dlkit.layers.recurrent.LSTM
import dlkit.layers.regularization.Dropout
import dlkit.layers.reshaping.Flatten
import dlkit.loss.Loss
import dlkit.metrics.Metric
import dlkit.model.Callback
import dlkit.model.FitOptions
import dlkit.model.Model
import dlkit.model.Sequential
import dlkit.model.TrainingState
import dlkit.optim.Adam
import dlkit.tensor.Shape
import java.nio.file.Path
import kotlin.random.Random
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir

/** The README's Kotlin example, compiled and run: the API reads naturally from Kotlin without wrappers. */
class KotlinApiTest {
    @TempDir
    lateinit var dir: Path

    @Test
    fun `convolutional and recurrent models read the same way`() {
        val cnn = Sequential.of(
            Input.of(28, 28, 1),
            Conv2D.of(16, 3).padding(Padding.SAME).activation(Activation.RELU),
            BatchNormalization.of(),
            MaxPooling2D.of(2),
            Flatten.of(),
            Dense.of(10).activation(Activation.SOFTMAX),
        )
        assertEquals(Shape.of(14, 14, 16), cnn.layerOutputShapes()[3])
        val rnn = Sequential.of(
            Input.of(28, 28),
            Bidirectional.of(LSTM.of(32).returnSequences(true)),
            GRU.of(16),
            Dense.of(10).activation(Activation.SOFTMAX),
        )
        assertEquals(Shape.of(28, 64), rnn.layerOutputShapes()[1])
        assertEquals(2L * 4 * (28 * 32 + 32 * 32 + 32), rnn.paramCount(1))
    }

    @Test
    fun `train evaluate predict save and load from Kotlin`() {
        val rnd = Random(1)
        val n = 600
        val labels = FloatArray(n) { rnd.nextInt(2).toFloat() }
        val features = FloatArray(n * 2) { i -> labels[i / 2] * 2f - 1f + rnd.nextFloat() * 0.5f }
        val data = ArrayDataset(features, Shape.of(2), labels, 1)

        val model = Sequential.of(
            Input.of(2),
            Dense.of(8).activation(Activation.RELU),
            Dropout.of(0.1),
            Dense.of(2).activation(Activation.SOFTMAX),
        )
        model.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY)

        var epochsSeen = 0
        val counter = object : Callback {
            override fun onEpochEnd(epoch: Int, logs: Map<String, Double>, state: TrainingState) {
                epochsSeen++
            }
        }
        val history = model.fit(data, FitOptions.epochs(5).batchSize(32).validationSplit(0.2).seed(42).callbacks(counter))
        assertEquals(5, epochsSeen)
        assertTrue(history.last("val_accuracy") > 0.9, "val_accuracy ${history.last("val_accuracy")}")

        val metrics = model.evaluate(data)
        assertTrue(metrics.getValue("accuracy") > 0.9)

        val file = dir.resolve("model.dlk")
        model.save(file)
        val again = Model.load(file)
        val x = data.features(0)
        val input = org.nd4j.linalg.factory.Nd4j.create(x, longArrayOf(1, 2), 'c')
        assertEquals(model.predict(input), again.predict(input))
    }

    @Test
    fun `functional models are calls of layers on tensors`() {
        val image = Input.of(28, 28, 1).named("image")
        val stem = Conv2D.of(16, 3).padding(Padding.SAME).activation(Activation.RELU)(image)
        val a = Conv2D.of(8, 1).activation(Activation.RELU)(stem)
        val b = Conv2D.of(8, 3).padding(Padding.SAME).activation(Activation.RELU)(stem)
        val merged = Add.of()(stem, Concatenate.of()(a, b))
        val out = Dense.of(10).activation(Activation.SOFTMAX)(Flatten.of()(MaxPooling2D.of(2)(merged)))
        val model = Model.of(image, out)
        assertEquals(Shape.of(10), model.outputShape())
        assertEquals(listOf(listOf("conv2d", "concatenate")), model.callInputs(model.layers().indexOf(model.getLayer("add"))))
        val encoder = Model.of(image, Flatten.of().named("flat")(stem))
        val twin = Model.of(image, encoder(image))
        assertEquals(encoder.paramCount(), twin.paramCount())

        // Encoder-decoder wiring: the encoder's final states start the decoder.
        val source = Input.of(7, 3)
        val target = Input.of(5, 2)
        val (_, h, c) = LSTM.of(8).returnState(true).applyAll(source)
        val decoded = LSTM.of(8).returnSequences(true)(target, h, c)
        val seq2seq = Model.of(listOf(source, target), listOf(decoded))
        assertEquals(Shape.of(5, 8), seq2seq.outputShape())
    }
}
