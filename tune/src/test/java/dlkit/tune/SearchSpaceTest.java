package dlkit.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SearchSpaceTest {
    private static JsonNode json(String s) throws Exception {
        return Json.MAPPER.readTree(s);
    }

    @Test
    void pathsSetKeysListItemsAndWholeLayers() throws Exception {
        ObjectNode config = (ObjectNode) json("{\"model\": {\"layers\": [{\"type\": \"Input\"}, {\"type\": \"Dense\", \"units\": 8}]}, \"fit\": {}}");
        SearchSpace s = SearchSpace.parse(json("{\"model.layers[1].units\": {\"choice\": [4]}, \"fit.batch_size\": {\"choice\": [16]},"
                + " \"model.layers[0]\": {\"choice\": [{\"type\": \"Input\", \"shape\": [3]}]}}"), "tune.space");
        Map<String, JsonNode> values = new LinkedHashMap<>();
        values.put("model.layers[1].units", json("4"));
        values.put("fit.batch_size", json("16"));
        values.put("model.layers[0]", json("{\"type\": \"Input\", \"shape\": [3]}"));
        ObjectNode out = s.apply(config, values);
        assertEquals("{\"model\":{\"layers\":[{\"type\":\"Input\",\"shape\":[3]},{\"type\":\"Dense\",\"units\":4}]},\"fit\":{\"batch_size\":16}}", out.toString());
        assertEquals(8, config.at("/model/layers/1/units").asInt(), "the base config is not changed");
        assertEquals(List.of("model", "layers", 1, "units"), SearchSpace.segments("model.layers[1].units", "p"));
        for (String bad : List.of("", ".a", "a..b", "a[x]", "[1].a", "a.", "a[1")) {
            ConfigException e = assertThrows(ConfigException.class, () -> SearchSpace.segments(bad, "tune.space[\"" + bad + "\"]"), bad);
            assertTrue(e.getMessage().contains("not a JSON path into the run config"), e.getMessage());
        }
    }

    @Test
    void distributionsAreCheckedWhereTheyAreWritten() throws Exception {
        String[][] cases = {
                {"{\"uniform\": [0.5, 0.1]}", "x.uniform: empty range: low 0.5 must be below high 0.1"},
                {"{\"log_uniform\": [0, 1]}", "x.log_uniform: log_uniform needs a positive low, got 0"},
                {"{\"int_uniform\": [1.5, 4]}", "x.int_uniform: expected two integers"},
                {"{\"choice\": []}", "x.choice: expected a non-empty list of values, got []"},
                {"{\"choice\": 3}", "x.choice: expected a non-empty list of values, got 3"},
                {"{\"uniform\": [0, 1], \"choice\": [1]}", "x: expected exactly one of uniform, log_uniform, int_uniform, choice"},
                {"{\"uniform\": [0, 1], \"q\": -1}", "x.q: expected a positive number"},
                {"{\"int_uniform\": [0, 4], \"step\": 0}", "x.step: expected a positive integer"},
                {"3", "x: expected an object such as"},
        };
        for (String[] c : cases) {
            ConfigException e = assertThrows(ConfigException.class, () -> Distribution.parse(json(c[0]), "x"), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " → " + e.getMessage());
        }
        ConfigException e = assertThrows(ConfigException.class, () -> Distribution.parse(json("{\"uniform\": [0, 1]}"), "x").grid("x"));
        assertTrue(e.getMessage().contains("a continuous range needs a \"q\" step"), e.getMessage());
        assertEquals(List.of(json("0.0"), json("0.25"), json("0.5")), Distribution.parse(json("{\"uniform\": [0, 0.5], \"q\": 0.25}"), "x").grid("x"));
        // A hostile step lists no endless grid.
        e = assertThrows(ConfigException.class, () -> Distribution.parse(json("{\"uniform\": [0, 1e300], \"q\": 1e-300}"), "x").grid("x"));
        assertTrue(e.getMessage().contains("grid search would list") && e.getMessage().contains("at most 100000"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Distribution.parse(json("{\"int_uniform\": [0, 9000000000000000000]}"), "x").grid("x"));
        assertTrue(e.getMessage().contains("grid search would list"), e.getMessage());
        SearchSpace big = SearchSpace.parse(json("{\"a\": {\"int_uniform\": [1, 1000]}, \"b\": {\"int_uniform\": [1, 1000]}, \"c\": {\"int_uniform\": [1, 1000]}}"),
                "tune.space");
        e = assertThrows(ConfigException.class, () -> Sampler.gridSize(big));
        assertTrue(e.getMessage().startsWith("tune.space[\"c\"]") && e.getMessage().contains("more than 1000000 combinations"), e.getMessage());
    }
}
