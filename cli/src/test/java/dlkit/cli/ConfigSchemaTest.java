package dlkit.cli;

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
