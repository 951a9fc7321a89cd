package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import dlkit.config.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The published JSON Schema accepts every example config and rejects what dl rejects. */
class ConfigSchemaTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    static JsonSchema schema() throws IOException {
        JsonNode s = Json.MAPPER.readTree(ROOT.resolve("docs/dlkit-run.schema.json").toFile());
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(s);
    }

    @Test
    void everyExampleConfigIsValid() throws IOException {
        JsonSchema schema = schema();
        List<Path> configs;
        try (Stream<Path> s = Files.list(ROOT.resolve("configs"))) {
            configs = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertFalse(configs.isEmpty());
        for (Path p : configs) {
            var errors = schema.validate(Json.MAPPER.readTree(p.toFile()));
            assertTrue(errors.isEmpty(), p + ": " + errors);
        }
    }

    /** Every registered layer has a schema entry with exactly its config keys, and docs/config.md names it. */
    @Test
    void schemaAndDocsCoverEveryLayerAndKey() throws IOException {
        JsonNode layers = Json.MAPPER.readTree(ROOT.resolve("docs/dlkit-run.schema.json").toFile()).at("/$defs/layer/oneOf");
        String docs = Files.readString(ROOT.resolve("docs/config.md"));
        java.util.Map<String, java.util.Set<String>> schemaKeys = new java.util.HashMap<>();
        for (JsonNode entry : layers) {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            entry.get("properties").fieldNames().forEachRemaining(keys::add);
            keys.remove("type");
            keys.remove("inputs"); // every layer takes "inputs" in a Functional model
            keys.remove("trainable"); // and "trainable" (false: frozen) in any model
            schemaKeys.put(entry.at("/properties/type/const").asText(), keys);
        }
        for (String type : dlkit.layers.registry.LayerRegistry.types()) {
            assertTrue(schemaKeys.containsKey(type), "schema lacks layer " + type);
            org.junit.jupiter.api.Assertions.assertEquals(new java.util.TreeSet<>(dlkit.layers.registry.LayerRegistry.configKeys(type)), schemaKeys.get(type),
                    "schema keys of " + type);
            assertTrue(docs.contains("`" + type + "`"), "docs/config.md does not document " + type);
            for (String key : dlkit.layers.registry.LayerRegistry.configKeys(type)) {
                assertTrue(key.equals("name") || docs.contains("`" + key + "`"), "docs/config.md does not mention key " + key + " of " + type);
            }
        }
        assertEquals(dlkit.layers.registry.LayerRegistry.types().size(), schemaKeys.size(), "schema has layers the registry lacks: " + schemaKeys.keySet());
    }

    /** Every registered callback and schedule has a schema entry with exactly its keys, and docs/config.md names them. */
    @Test
    void schemaAndDocsCoverEveryCallbackAndSchedule() throws IOException {
        JsonNode root = Json.MAPPER.readTree(ROOT.resolve("docs/dlkit-run.schema.json").toFile());
        String docs = Files.readString(ROOT.resolve("docs/config.md"));
        java.util.Map<String, java.util.Set<String>> schemaKeys = new java.util.HashMap<>();
        for (JsonNode entry : root.at("/$defs/callback/oneOf")) {
            java.util.Set<String> keys = new java.util.TreeSet<>();
            entry.get("properties").fieldNames().forEachRemaining(keys::add);
            keys.remove("type");
            keys.remove("inputs"); // every layer takes "inputs" in a Functional model
            schemaKeys.put(entry.at("/properties/type/const").asText(), keys);
        }
        var registered = dlkit.callbacks.CallbackType.all();
        assertEquals(registered.keySet(), schemaKeys.keySet(), "callbacks in the schema");
        registered.forEach((name, type) -> {
            assertEquals(new java.util.TreeSet<>(type.keys()), schemaKeys.get(name), "schema keys of " + name);
            assertTrue(docs.contains("`" + name + "`"), "docs/config.md does not document " + name);
            type.keys().forEach(k -> assertTrue(docs.contains("`" + k + "`"), "docs/config.md does not mention " + k + " of " + name));
        });
        java.util.Set<String> schedules = new java.util.TreeSet<>();
        root.at("/$defs/schedule/oneOf").forEach(e -> schedules.add(e.at("/properties/type/const").asText()));
        assertEquals(new java.util.TreeSet<>(dlkit.callbacks.LearningRateSchedule.TYPES), schedules);
        schedules.forEach(t -> assertTrue(docs.contains("| `" + t + "` |"), "docs/config.md does not document schedule " + t));
        ObjectNode bad = (ObjectNode) Json.MAPPER.readTree(ROOT.resolve("configs/quickstart.json").toFile());
        ((ObjectNode) bad.get("fit")).putArray("callbacks").addObject().put("type", "EarlyStopping").put("patiense", 3);
        assertFalse(schema().validate(bad).isEmpty(), "a misspelt callback key fails the schema");
    }

    /** The schema's tune section has exactly dl tune's keys, and a tuned config validates. */
    @Test
    void schemaCoversTheTuneSection() throws IOException {
        JsonNode root = Json.MAPPER.readTree(ROOT.resolve("docs/dlkit-run.schema.json").toFile());
        java.util.Set<String> keys = new java.util.TreeSet<>();
        root.at("/properties/tune/properties").fieldNames().forEachRemaining(keys::add);
        assertEquals(new java.util.TreeSet<>(dlkit.tune.TuneConfig.KEYS), keys);
        ObjectNode tuned = (ObjectNode) Json.MAPPER.readTree(ROOT.resolve("configs/quickstart.json").toFile());
        tuned.set("tune", Json.MAPPER.readTree("{\"space\": {\"model.layers[2].units\": {\"choice\": [32, 64]}}, \"algorithm\": \"tpe\"}"));
        assertTrue(schema().validate(tuned).isEmpty(), schema().validate(tuned).toString());
        tuned.set("tune", Json.MAPPER.readTree("{\"space\": {\"model.layers[2].units\": {\"choise\": [32, 64]}}}"));
        assertFalse(schema().validate(tuned).isEmpty(), "a misspelt distribution fails the schema");
    }

    @Test
    void rejectsUnknownKeysAndBadValues() throws IOException {
        JsonSchema schema = schema();
        ObjectNode base = (ObjectNode) Json.MAPPER.readTree(ROOT.resolve("configs/quickstart.json").toFile());
        ObjectNode unknown = base.deepCopy();
        unknown.put("colour", 1);
        assertFalse(schema.validate(unknown).isEmpty());
        ObjectNode negative = base.deepCopy();
        ((ObjectNode) negative.at("/model/layers/2")).put("units", -4);
        assertFalse(schema.validate(negative).isEmpty());
        ObjectNode optimizer = base.deepCopy();
        ((ObjectNode) optimizer.at("/compile/optimizer")).put("type", "adamm");
        assertFalse(schema.validate(optimizer).isEmpty());
    }
}
