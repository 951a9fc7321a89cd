package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.DlkitException;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.recurrent.Bidirectional;
import dlkit.layers.recurrent.GRU;
import dlkit.layers.recurrent.LSTM;
import dlkit.layers.recurrent.SimpleRNN;
import dlkit.tensor.DType;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** A stateful RNN fed a sequence in chunks ends where a plain one fed the whole sequence ends. */
class StatefulTest {
    static void assertChunksEqualWhole(Function<Boolean, Layer> rnn) {
        INDArray x = Nd4j.rand(DataType.DOUBLE, 3, 8, 2).subi(0.5);
        Model whole = new Sequential("whole", List.of(Input.of(8, 2), rnn.apply(false)), DType.FLOAT64);
        whole.initialize(4);
        INDArray expected = whole.predict(x, 3);

        Model chunked = new Sequential("chunked", List.of(Input.of(4, 2), rnn.apply(true)), DType.FLOAT64);
        chunked.setWeights(whole.getWeights());
        INDArray first = x.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4), NDArrayIndex.all()).dup();
        INDArray second = x.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 8), NDArrayIndex.all()).dup();
        chunked.predict(first, 3);
        INDArray got = chunked.predict(second, 3);
        assertArrayEquals(expected.data().asDouble(), got.data().asDouble(), 1e-12, "state carried from the first half");

        // After resetStates the second half alone is what a fresh (zero-state) layer gives it.
        chunked.resetStates();
        INDArray fresh = chunked.predict(second, 3);
        Model plain = new Sequential("plain", List.of(Input.of(4, 2), rnn.apply(false)), DType.FLOAT64);
        plain.setWeights(whole.getWeights());
        assertArrayEquals(plain.predict(second, 3).data().asDouble(), fresh.data().asDouble(), 1e-12, "reset to zero state");
    }

    @Test
    void statefulLayersContinueSequencesAcrossBatches() {
        assertChunksEqualWhole(s -> LSTM.of(5).stateful(s));
        assertChunksEqualWhole(s -> GRU.of(3).stateful(s));
        assertChunksEqualWhole(s -> SimpleRNN.of(4).stateful(s));
    }

    @Test
    void aStatefulRunResumesFromACheckpointBitIdentically(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(2);
        float[] xs = new float[64 * 4 * 2];
        float[] ys = new float[64];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < ys.length; i++) {
            ys[i] = i % 2;
        }
        dlkit.data.ArrayDataset data = new dlkit.data.ArrayDataset(xs, dlkit.tensor.Shape.of(4, 2), ys, 1);
        java.util.function.Supplier<Model> make = () -> {
            Model m = Sequential.of(Input.of(4, 2), LSTM.of(3).stateful(true), dlkit.layers.core.Dense.of(2).activation(dlkit.layers.Activation.SOFTMAX));
            m.compile(dlkit.optim.Adam.of(0.01), dlkit.loss.Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            return m;
        };
        FitOptions opts = FitOptions.epochs(3).batchSize(8).shuffle(false).seed(3);
        Model reference = make.get();
        reference.fit(data, opts);
        java.nio.file.Path ckpt = dir.resolve("stateful.dlk");
        make.get().fit(data, opts.callbacks(CheckpointTest.stopAt(13, ckpt)));
        Model resumed = make.get();
        resumed.fit(data, opts.callbacks(CheckpointTest.resumeFrom(ckpt)));
        CheckpointTest.assertSameWeights(reference.getWeights(), resumed.getWeights());
    }

    @Test
    void statefulModelsKeepOneBatchSize() {
        Model m = Sequential.of(Input.of(4, 2), LSTM.of(3).stateful(true));
        m.initialize(1);
        m.predict(Nd4j.rand(DataType.FLOAT, 2, 4, 2), 2);
        DlkitException e = assertThrows(DlkitException.class, () -> m.predict(Nd4j.rand(DataType.FLOAT, 8, 4, 2), 8));
        assertTrue(e.getMessage().contains("one batch size"), e.getMessage());
        // A Bidirectional wrapper keeps a state per direction.
        Model bi = Sequential.of(Input.of(4, 2), Bidirectional.of(LSTM.of(3).stateful(true)));
        bi.initialize(1);
        INDArray x = Nd4j.rand(DataType.FLOAT, 2, 4, 2);
        INDArray a = bi.predict(x, 2);
        INDArray b = bi.predict(x, 2);
        assertTrue(Math.abs(a.getDouble(0, 0) - b.getDouble(0, 0)) > 1e-7, "the second call starts from the first call's state");
        bi.resetStates();
        assertArrayEquals(a.data().asFloat(), bi.predict(x, 2).data().asFloat(), 0f);
    }
}
