package dlkit.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;

/** The fused update rules against ND4J's own updaters, where ND4J implements the same rule: 20 steps, same state layout. */
class Nd4jParityTest {
    static Stream<Optimizer> optimizers() {
        return Stream.of(Sgd.of(0.05), Sgd.of(0.05).momentum(0.9).nesterov(true), Adam.of(0.01), AdaMax.of(0.01));
    }

    @ParameterizedTest
    @MethodSource("optimizers")
    void matchesNd4jUpdater(Optimizer opt) {
        int n = 1000;
        SplittableRandom rng = new SplittableRandom(3);
        float[] p = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) rng.nextGaussian();
        }
        INDArray ndParams = Nd4j.create(p.clone(), new long[] {1, n}, 'c');
        UpdateRule rule = opt.rule();
        float[][] state = new float[rule.moments()][n];
        var config = opt.toNd4j();
        assertNotNull(config);
        INDArray view = Nd4j.zeros(DataType.FLOAT, 1, Math.max(1, config.stateSize(n)));
        GradientUpdater<?> updater = config.stateSize(n) == 0 ? config.instantiate((INDArray) null, false) : config.instantiate(view, true);
        for (int step = 0; step < 20; step++) {
            float[] g = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = (float) rng.nextGaussian();
            }
            rule.apply(p, g.clone(), state, n, step + 1, (float) opt.learningRate());
            INDArray grad = Nd4j.create(g, new long[] {1, n}, 'c');
            updater.applyUpdater(grad, step, 0);
            ndParams.subi(grad);
        }
        float[] expected = ndParams.data().asFloat();
        for (int i = 0; i < n; i++) {
            assertEquals(expected[i], p[i], 2e-5, opt.type() + " weight " + i);
        }
        if (state.length > 0) {
            float[] nd = view.data().asFloat();
            for (int i = 0; i < state.length * n; i++) {
                assertEquals(nd[i], state[i / n][i % n], 2e-5, opt.type() + " state " + i);
            }
        }
    }
}
