package dlkit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ModelFileException;
import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.loss.Loss;
import dlkit.metrics.Metric;
import dlkit.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Training checkpoints resume bit-identically: mid-epoch, at an epoch end, and with a different seed given. */
class CheckpointTest {
    @TempDir
    Path dir;

    static final ArrayDataset DATA = TrainingTest.blobs(500, 3);
    static final ArrayDataset VAL = TrainingTest.blobs(100, 4);

    static Model compiled() {
        Model m = TrainingTest.mlp();
        m.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY, Metric.F1_SCORE);
        return m;
    }

    static FitOptions options(Callback... cbs) {
        return FitOptions.epochs(4).batchSize(32).seed(11).validationData(VAL).callbacks(cbs);
    }

    /** Checkpoints at global step {@code atStep} and then stops as a killed process would. */
    static Callback stopAt(long atStep, Path file) {
        return new Callback() {
            @Override
            public void onBatchEnd(int batch, Map<String, Double> logs, TrainingState state) {
                if (state.model().iterations() == atStep) {
                    state.requestCheckpoint(file);
                    state.interrupt();
                }
            }
        };
    }

    static Callback resumeFrom(Path file) {
        return new Callback() {
            @Override
            public void onTrainBegin(TrainingState state) {
                state.resumeFrom(file);
            }
        };
    }

    static void assertSameWeights(Map<String, INDArray> a, Map<String, INDArray> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).data().asFloat(), b.get(k).data().asFloat(), 0f, k + " bit-identical");
        }
    }

    @Test
    void resumingMidEpochEndsBitIdenticalToAnUninterruptedRun() {
        Model reference = compiled();
        History full = reference.fit(DATA, options());

        // 16 batches per epoch: step 23 is batch 7 of epoch 2.
        Path ckpt = dir.resolve("mid.dlk");
        Model first = compiled();
        History partial = first.fit(DATA, options(stopAt(23, ckpt)));
        assertEquals(1, partial.epochs().size(), "only the finished epoch is in the history");
        Checkpoint.Info info = Checkpoint.info(ckpt);
        assertEquals(1, info.epoch());
        assertEquals(7, info.batchesDone());
        assertFalse(info.completed());

        Model second = compiled();
        History resumed = second.fit(DATA, options(resumeFrom(ckpt)));
        assertSameWeights(reference.getWeights(), second.getWeights());
        assertEquals(reference.iterations(), second.iterations());
        assertArrayEquals(reference.optimizerState(), second.optimizerState(), 0f);
        // The history (restored epoch 1, then epochs 2-4) matches too, running metrics included.
        assertEquals(full.asMap(), resumed.asMap());
    }

    /** Plain SGD keeps no moments: its empty optimizer state saves and loads (it once failed writing the archive). */
    @Test
    void aPlainSgdModelSavesLoadsAndResumes() throws Exception {
        Model reference = TrainingTest.mlp();
        reference.compile(dlkit.optim.Sgd.of(0.05), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        reference.fit(DATA, options());
        Path ckpt = dir.resolve("sgd.dlk");
        Model first = TrainingTest.mlp();
        first.compile(dlkit.optim.Sgd.of(0.05), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        first.fit(DATA, options(stopAt(23, ckpt)));
        Model second = TrainingTest.mlp();
        second.compile(dlkit.optim.Sgd.of(0.05), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        second.fit(DATA, options(resumeFrom(ckpt)));
        assertSameWeights(reference.getWeights(), second.getWeights());
        Path saved = dir.resolve("sgd-model.dlk");
        reference.save(saved);
        Model loaded = Model.load(saved);
        assertSameWeights(reference.getWeights(), loaded.getWeights());
        assertEquals(reference.iterations(), loaded.iterations());
    }

    @Test
    void resumingAtAnEpochEndAndFromACompletedRun() {
        Model reference = compiled();
        reference.fit(DATA, options());
        Path ckpt = dir.resolve("epoch.dlk");
        Model first = compiled();
        first.fit(DATA, options(new Callback() {
            @Override
            public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
                state.requestCheckpoint(ckpt);
                if (epoch == 1) {
                    state.stopTraining();
                }
            }
        }));
        // Stopped by a callback (as EarlyStopping does): the checkpoint is complete and resuming trains no more.
        assertTrue(Checkpoint.info(ckpt).completed());
        Model done = compiled();
        History h = done.fit(DATA, options(resumeFrom(ckpt)));
        assertEquals(2, h.epochs().size());
        assertSameWeights(first.getWeights(), done.getWeights());

        // A checkpoint written at the end of epoch 2 of an unstopped run resumes into epoch 3.
        Path mid = dir.resolve("epoch2.dlk");
        compiled().fit(DATA, options(new Callback() {
            @Override
            public void onEpochEnd(int epoch, Map<String, Double> logs, TrainingState state) {
                if (epoch == 1) {
                    state.requestCheckpoint(mid);
                    state.interrupt();
                }
            }
        }));
        assertEquals(2, Checkpoint.info(mid).epoch());
        assertEquals(0, Checkpoint.info(mid).batchesDone());
        Model second = compiled();
        second.fit(DATA, options(resumeFrom(mid)));
        assertSameWeights(reference.getWeights(), second.getWeights());
    }

    @Test
    void theCheckpointsSeedWinsSoAnUnseededRunResumesExactly() {
        Path ckpt = dir.resolve("seed.dlk");
        Model reference = compiled();
        reference.fit(DATA, options());
        compiled().fit(DATA, options(stopAt(40, ckpt)));
        Model second = compiled();
        // A different seed on the command line (an unseeded config draws a new one each start) must not matter.
        second.fit(DATA, FitOptions.epochs(4).batchSize(32).seed(999).validationData(VAL).callbacks(resumeFrom(ckpt)));
        assertSameWeights(reference.getWeights(), second.getWeights());
    }

    @Test
    void aCheckpointOfAnotherModelOrAPlainArchiveIsRefused() throws Exception {
        Path ckpt = dir.resolve("a.dlk");
        compiled().fit(DATA, options(stopAt(5, ckpt)));
        Model other = Sequential.of(Input.of(4), Dense.of(7).activation(Activation.RELU), Dense.of(3).activation(Activation.SOFTMAX));
        other.compile(Adam.of(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.ACCURACY, Metric.F1_SCORE);
        ModelFileException e = assertThrows(ModelFileException.class, () -> other.fit(DATA, options(resumeFrom(ckpt))));
        assertTrue(e.getMessage().contains(ckpt.toString()) && e.getMessage().contains("different model"), e.getMessage());

        Path plain = dir.resolve("plain.dlk");
        compiled().save(plain);
        e = assertThrows(ModelFileException.class, () -> compiled().fit(DATA, options(resumeFrom(plain))));
        assertTrue(e.getMessage().contains("without training state"), e.getMessage());

        // A checkpoint is still an ordinary model archive.
        assertEquals(compiled().paramCount(), Model.load(ckpt).paramCount());
        Path garbage = dir.resolve("garbage.dlk");
        Files.writeString(garbage, "not a zip");
        e = assertThrows(ModelFileException.class, () -> compiled().fit(DATA, options(resumeFrom(garbage))));
        assertTrue(e.getMessage().contains("garbage.dlk"), e.getMessage());
    }
}
