package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.jspecify.annotations.NonNull;

/** Chooses the settings of the next trial from the space and the trials so far. */
public interface Sampler {
    /** Settings for trial {@code number}, by JSON path; {@code random} is seeded by the study's seed and the number. */
    @NonNull Map<String, JsonNode> sample(@NonNull SearchSpace space, @NonNull List<Trial> trials, int number, @NonNull SplittableRandom random);

    /** Each setting drawn on its own from its distribution. */
    Sampler RANDOM = (space, trials, number, random) -> {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        space.params().forEach((path, d) -> out.put(path, d.sample(random)));
        return out;
    };

    /** Every combination in turn, the last setting changing fastest: trial n takes the n-th. */
    static long gridSize(@NonNull SearchSpace space) {
        long size = 1;
        for (Map.Entry<String, Distribution> e : space.params().entrySet()) {
            size *= e.getValue().grid(space.name(e.getKey())).size();
            if (size > MAX_GRID) {
                throw new dlkit.ConfigException(space.name(e.getKey()), "grid search over the settings up to this one has more than " + MAX_GRID
                        + " combinations; use fewer values, or random or tpe");
            }
        }
        return size;
    }

    /** The most combinations grid search takes (each one a trial). */
    long MAX_GRID = 1_000_000;

    Sampler GRID = (space, trials, number, random) -> {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        long rest = number;
        List<Map.Entry<String, Distribution>> params = List.copyOf(space.params().entrySet());
        JsonNode[] chosen = new JsonNode[params.size()];
        for (int i = params.size() - 1; i >= 0; i--) {
            List<JsonNode> values = params.get(i).getValue().grid(space.name(params.get(i).getKey()));
            chosen[i] = values.get((int) (rest % values.size()));
            rest /= values.size();
        }
        for (int i = 0; i < params.size(); i++) {
            out.put(params.get(i).getKey(), chosen[i]);
        }
        return out;
    };
}
