package dlkit.callbacks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.DlkitException;
import dlkit.model.History;
import dlkit.model.Model;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

/** EarlyStopping, ReduceLROnPlateau, LearningRateScheduler and TerminateOnNaN inside real fits, on scripted logs. */
class TrainingControlTest {
    static void assertSameWeights(Map<String, INDArray> a, Map<String, INDArray> b) {
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).data().asFloat(), b.get(k).data().asFloat(), 0f, k);
        }
    }

    @Test
    void earlyStoppingStopsAfterPatienceAndRestoresTheBestEpoch() {
        Model m = Fixtures.model(0.01);
        Fixtures.Recorder rec = new Fixtures.Recorder();
        EarlyStopping es = new EarlyStopping().monitor("val_loss").patience(2).restoreBestWeights(true);
        // Best at epoch 2 (0-based 1); epochs 3 and 4 do not improve: stop after the 4th of 10.
        History h = m.fit(Fixtures.blobs(300, 1), Fixtures.options(10, Fixtures.script("val_loss", 1.0, 0.9, 0.95, 0.97, 0.5, 0.4), rec, es));
        assertEquals(4, h.epochs().size());
        assertEquals(3, es.stoppedEpoch());
        assertEquals(1, es.bestEpoch());
        assertEquals(0.9, es.best());
        assertSameWeights(rec.weights.get(1), m.getWeights());
    }

    @Test
    void earlyStoppingMinDeltaModeAndBaseline() {
        // min_delta 0.05: 0.98 and 0.96 are not improvements on 1.0, so patience 2 stops at epoch index 2.
        EarlyStopping es = new EarlyStopping().monitor("val_loss").minDelta(0.05).patience(2);
        History h = Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(10, Fixtures.script("val_loss", 1.0, 0.98, 0.96, 0.5), es));
        assertEquals(3, h.epochs().size());
        // Accuracy is maximised under "auto": rising values keep training going to the end.
        es = new EarlyStopping().monitor("val_accuracy").patience(1);
        h = Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(4, Fixtures.script("val_accuracy", 0.5, 0.6, 0.7, 0.8), es));
        assertEquals(4, h.epochs().size());
        assertEquals(-1, es.stoppedEpoch());
        // A baseline that is never beaten stops after patience epochs even though the value keeps improving.
        es = new EarlyStopping().monitor("val_accuracy").patience(2).baseline(0.95);
        h = Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(10, Fixtures.script("val_accuracy", 0.5, 0.6, 0.7, 0.8, 0.9), es));
        assertEquals(2, h.epochs().size());
        // start_from_epoch: the first two epochs are not watched.
        es = new EarlyStopping().monitor("val_loss").patience(1).startFromEpoch(2);
        h = Fixtures.model(0.01).fit(Fixtures.blobs(200, 1), Fixtures.options(10, Fixtures.script("val_loss", 1, 2, 3, 4, 5, 6), es));
        assertEquals(4, h.epochs().size());
    }

    @Test
    void aMonitorThatIsNotLoggedIsAnErrorNamingWhatIs() {
        EarlyStopping es = new EarlyStopping().monitor("val_los");
        DlkitException e = assertThrows(DlkitException.class,
                () -> Fixtures.model(0.01).fit(Fixtures.blobs(100, 1), Fixtures.options(2, es)));
        assertTrue(e.getMessage().contains("\"val_los\"") && e.getMessage().contains("val_loss"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new EarlyStopping().mode("up"));
        assertThrows(IllegalArgumentException.class, () -> new ReduceLROnPlateau().factor(1.5));
    }

    @Test
    void reduceLrOnPlateauCutsAfterPatienceThenCoolsDown() {
        Model m = Fixtures.model(0.01);
        Fixtures.Recorder rec = new Fixtures.Recorder();
        ReduceLROnPlateau r = new ReduceLROnPlateau().factor(0.5).patience(2).cooldown(1).minLr(0.002);
        History h = m.fit(Fixtures.blobs(200, 1), Fixtures.options(9, Fixtures.script("val_loss", 1, 1, 1, 1, 1, 1, 1, 1, 1), r, rec));
        // Keras: cut at the 2nd non-improving epoch (index 2); the cooldown epoch does not count; cut at 5, then to min_lr at 8.
        assertEquals(List.of(0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025, 0.0025, 0.002), rec.learningRates);
        // The logs hold the rate each epoch trained with.
        assertEquals(List.of(0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025, 0.0025), h.get("learning_rate"));
    }

    @Test
    void schedulersFollowTheirFormulasPerEpochAndPerStep() {
        Fixtures.Recorder rec = new Fixtures.Recorder();
        // η0·10^(−n/τ) with τ = 2, per epoch.
        Fixtures.model(0.1).fit(Fixtures.blobs(100, 1), Fixtures.options(4,
                new LearningRateScheduler(LearningRateSchedule.exponential(2, 0.1)), rec));
        for (int n = 0; n < 4; n++) {
            assertEquals(0.1 * Math.pow(10, -n / 2.0), rec.learningRates.get(n), 1e-15);
        }
        // Per optimizer step, with a 2-step warm-up before a cosine decay over 4 steps (2 batches per epoch).
        Fixtures.Recorder steps = new Fixtures.Recorder();
        Fixtures.model(0.1).fit(Fixtures.blobs(100, 1), Fixtures.options(4,
                new LearningRateScheduler(LearningRateSchedule.cosine(4, 0).withWarmup(2), "step", null), steps));
        double[] expected = {0, 0.05, 0.1, 0.1 * 0.5 * (1 + Math.cos(Math.PI / 4)), 0.05, 0.1 * 0.5 * (1 + Math.cos(3 * Math.PI / 4)), 0, 0};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], steps.stepRates.get(i), 1e-15, "step " + i);
        }
    }

    @Test
    void scheduleFormulas() {
        assertEquals(0.1 * Math.pow(0.5, 2), LearningRateSchedule.step(3, 0.5).at(7, 0.1), 1e-15);
        assertEquals(1 / (1 + 0.5 * 3 / 2.0), LearningRateSchedule.inverseTime(2, 0.5).at(3, 1), 1e-15);
        assertEquals(Math.pow(0.5, 1), ((LearningRateSchedule.Exponential) LearningRateSchedule.exponential(2, 0.5)).withStaircase().at(3, 1), 1e-15);
        // Polynomial: halfway with power 2 and end 0.1 -> (1 - 0.1)·0.25 + 0.1; held at the end after decay_steps.
        assertEquals(0.9 * 0.25 + 0.1, LearningRateSchedule.polynomial(10, 0.1, 2).at(5, 1), 1e-15);
        assertEquals(0.1, LearningRateSchedule.polynomial(10, 0.1, 2).at(50, 1), 1e-15);
        // Cosine with alpha: floor of alpha·η0.
        assertEquals(0.2, LearningRateSchedule.cosine(10, 0.2).at(10, 1), 1e-15);
        // SGDR, first period 10, t_mul 2, m_mul 0.5: restart at 10 to m_mul·η0, the second period is 20 steps long.
        LearningRateSchedule sgdr = LearningRateSchedule.cosineRestarts(10, 2, 0.5, 0);
        assertEquals(1.0, sgdr.at(0, 1), 1e-12);
        assertEquals(0.5, sgdr.at(5, 1), 1e-12);
        assertEquals(0.5, sgdr.at(10, 1), 1e-12);
        assertEquals(0.25, sgdr.at(20, 1), 1e-12);
        assertEquals(0.25, sgdr.at(30, 1), 1e-12);
        assertEquals(1.0, LearningRateSchedule.constant().at(99, 1));
    }

    @Test
    void terminateOnNaNInterruptsAtTheBadBatch() {
        TerminateOnNaN t = new TerminateOnNaN();
        Model m = Fixtures.model(1e30);
        History h = m.fit(Fixtures.blobs(500, 1), Fixtures.options(3, t));
        assertTrue(t.terminatedAt() != null && t.terminatedAt().startsWith("epoch 1, batch"), t.terminatedAt());
        assertEquals(0, h.epochs().size(), "the broken epoch is not recorded");
        TerminateOnNaN ok = new TerminateOnNaN();
        Fixtures.model(0.01).fit(Fixtures.blobs(100, 1), Fixtures.options(1, ok));
        assertNull(ok.terminatedAt());
    }
}
