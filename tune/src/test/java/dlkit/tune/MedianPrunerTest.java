package dlkit.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MedianPrunerTest {
    private static Trial done(int n, Double... history) {
        return new Trial(n, Trial.State.COMPLETE, Map.of(), history.length, null, null, null, null, null, history.length, 0, null, List.of(history));
    }

    @Test
    void stopsATrialWhoseBestIsBelowTheMedianAtTheSameEpochAfterFiveFinishedTrials() {
        List<Trial> finished = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            finished.add(done(i, 0.5 + 0.1 * i, 0.6 + 0.1 * i));
        }
        MedianPruner p = new MedianPruner(true);
        // Four finished trials: too few to judge.
        assertFalse(p.prune(List.of(0.1), finished));
        finished.add(done(4, 0.9, 0.95));
        // Epoch 1 values 0.5, 0.6, 0.7, 0.8, 0.9: median 0.7.
        assertTrue(p.prune(List.of(0.69), finished));
        assertFalse(p.prune(List.of(0.7), finished));
        // The best so far counts, not the last value.
        // Epoch 2 values 0.6, 0.7, 0.8, 0.9, 0.95: median 0.8.
        assertFalse(p.prune(List.of(0.85, 0.1), finished));
        assertTrue(p.prune(List.of(0.75, 0.79), finished));
        assertEquals(0.85, MedianPruner.median(List.of(0.9, 0.6, 0.8, 1.0)), 1e-12);
        // Minimising: worse is larger.
        assertTrue(new MedianPruner(false).prune(List.of(0.71), finished));
        assertFalse(new MedianPruner(false).prune(List.of(0.69), finished));
    }
}
