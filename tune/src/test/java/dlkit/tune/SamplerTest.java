package dlkit.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.config.Json;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The samplers on functions whose optimum is known. */
class SamplerTest {
    static SearchSpace space(String json) {
        try {
            return SearchSpace.parse(Json.MAPPER.readTree(json), "tune.space");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Trials run on f (maximised) until one lands within {@code tolerance} of the optimum: how many it took. */
    static int trialsToFind(Sampler sampler, SearchSpace space, ToDoubleFunction<Map<String, JsonNode>> f, ToDoubleFunction<Map<String, JsonNode>> distance,
                            double tolerance, long seed, int cap) {
        List<Trial> trials = new ArrayList<>();
        for (int n = 0; n < cap; n++) {
            Map<String, JsonNode> p = sampler.sample(space, trials, n, new SplittableRandom(seed * 1_000_003L + n));
            if (distance.applyAsDouble(p) < tolerance) {
                return n + 1;
            }
            trials.add(new Trial(n, Trial.State.COMPLETE, p, 1, null, null, null, f.applyAsDouble(p), 1, 1, 0, null, List.of()));
        }
        return cap;
    }

    @Test
    void tpeFindsAOneDimensionalOptimumInFewerTrialsThanRandom() {
        SearchSpace s = space("{\"x\": {\"uniform\": [0, 1]}}");
        double opt = 0.7312;
        ToDoubleFunction<Map<String, JsonNode>> f = p -> -Math.pow(p.get("x").asDouble() - opt, 2);
        ToDoubleFunction<Map<String, JsonNode>> d = p -> Math.abs(p.get("x").asDouble() - opt);
        double tpe = 0;
        double random = 0;
        int seeds = 30;
        for (long seed = 1; seed <= seeds; seed++) {
            tpe += trialsToFind(new TpeSampler(true, 10), s, f, d, 0.005, seed, 400);
            random += trialsToFind(Sampler.RANDOM, s, f, d, 0.005, seed, 400);
        }
        tpe /= seeds;
        random /= seeds;
        // Random needs 1/0.01 = 100 trials on average to land within ±0.005.
        assertTrue(random > 60 && random < 160, "random took " + random + " trials on average");
        assertTrue(tpe < random / 2, "TPE took " + tpe + " trials on average, random " + random);
    }

    @Test
    void tpeHandlesLogRangesIntegersAndChoices() {
        SearchSpace s = space("{\"lr\": {\"log_uniform\": [1e-5, 1]}, \"units\": {\"int_uniform\": [1, 64]}, \"act\": {\"choice\": [\"relu\", \"tanh\", \"sigmoid\"]}}");
        // Best at lr = 1e-3 (in log space), units = 40, act = tanh.
        ToDoubleFunction<Map<String, JsonNode>> f = p -> -Math.pow(Math.log10(p.get("lr").asDouble()) + 3, 2) - Math.pow((p.get("units").asLong() - 40) / 16.0, 2)
                - (p.get("act").asText().equals("tanh") ? 0 : 1);
        double tpeBest = 0;
        double randomBest = 0;
        for (long seed = 1; seed <= 10; seed++) {
            tpeBest += bestAfter(new TpeSampler(true, 10), s, f, seed, 60);
            randomBest += bestAfter(Sampler.RANDOM, s, f, seed, 60);
        }
        assertTrue(tpeBest > randomBest, "mean best after 60 trials: TPE " + tpeBest / 10 + ", random " + randomBest / 10);
    }

    private static double bestAfter(Sampler sampler, SearchSpace space, ToDoubleFunction<Map<String, JsonNode>> f, long seed, int n) {
        List<Trial> trials = new ArrayList<>();
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            Map<String, JsonNode> p = sampler.sample(space, trials, i, new SplittableRandom(seed * 7919 + i));
            assertTrue(p.get("units").isIntegralNumber() && p.get("units").asLong() >= 1 && p.get("units").asLong() <= 64, p.toString());
            assertTrue(p.get("lr").asDouble() >= 1e-5 && p.get("lr").asDouble() <= 1, p.toString());
            double v = f.applyAsDouble(p);
            best = Math.max(best, v);
            trials.add(new Trial(i, Trial.State.COMPLETE, p, 1, null, null, null, v, 1, 1, 0, null, List.of()));
        }
        return best;
    }

    @Test
    void gridVisitsEveryCombinationOnceLastSettingFastest() {
        SearchSpace s = space("{\"a\": {\"choice\": [1, 2]}, \"b\": {\"int_uniform\": [0, 4], \"step\": 2}, \"c\": {\"uniform\": [0, 1], \"q\": 0.5}}");
        assertEquals(2 * 3 * 3, Sampler.gridSize(s));
        Set<String> seen = new HashSet<>();
        for (int n = 0; n < 18; n++) {
            seen.add(Sampler.GRID.sample(s, List.of(), n, new SplittableRandom(1)).toString());
        }
        assertEquals(18, seen.size());
        assertEquals("{a=1, b=0, c=0.0}", Sampler.GRID.sample(s, List.of(), 0, new SplittableRandom(1)).toString());
        assertEquals("{a=1, b=0, c=0.5}", Sampler.GRID.sample(s, List.of(), 1, new SplittableRandom(1)).toString());
        assertEquals("{a=2, b=4, c=1.0}", Sampler.GRID.sample(s, List.of(), 17, new SplittableRandom(1)).toString());
    }

    @Test
    void randomStaysInsideEachRangeAndOnItsSteps() {
        SearchSpace s = space("{\"q\": {\"uniform\": [0.1, 0.5], \"q\": 0.1}, \"lq\": {\"log_uniform\": [1, 100], \"q\": 5}, \"i\": {\"int_uniform\": [3, 10], \"step\": 3}}");
        SplittableRandom r = new SplittableRandom(4);
        Set<Long> ints = new HashSet<>();
        for (int n = 0; n < 500; n++) {
            Map<String, JsonNode> p = Sampler.RANDOM.sample(s, List.of(), n, r);
            double q = p.get("q").asDouble();
            assertTrue(q >= 0.1 - 1e-12 && q <= 0.5 + 1e-12 && Math.abs(q * 10 - Math.round(q * 10)) < 1e-9, "q " + q);
            double lq = p.get("lq").asDouble();
            assertTrue(lq >= 1 && lq <= 100 && Math.abs((lq - 1) / 5 - Math.round((lq - 1) / 5)) < 1e-9, "lq " + lq);
            ints.add(p.get("i").asLong());
        }
        assertEquals(Set.of(3L, 6L, 9L), ints);
    }
}
