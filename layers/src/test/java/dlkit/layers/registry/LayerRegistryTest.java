package dlkit.layers.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.config.Json;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import org.junit.jupiter.api.Test;

/** Layer configs from JSON: errors name the JSON path, the key, what was expected and what came. */
class LayerRegistryTest {
    @Test
    void badConfigValuesNameTheKey() {
        var node = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", -4);
        ConfigException e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(node, "model.layers[3]"));
        assertEquals("model.layers[3].units: expected a positive integer, got -4", e.getMessage());
        var typo = Json.MAPPER.createObjectNode().put("type", "Dens").put("units", 4);
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(typo, "model.layers[1]"));
        assertEquals("model.layers[1].type: unknown layer type \"Dens\"; did you mean \"Dense\"?", e.getMessage());
        var unknownKey = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", 4).put("unit", 3);
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(unknownKey, "l"));
        assertTrue(e.getMessage().startsWith("l.unit: unknown key for layer type \"Dense\"; did you mean \"units\"?"), e.getMessage());
        var wrongType = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", "many");
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(wrongType, "l"));
        assertTrue(e.getMessage().startsWith("l.units: expected an integer"), e.getMessage());
        var badAct = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", 2).put("activation", "relux");
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(badAct, "l"));
        assertTrue(e.getMessage().contains("activation") && e.getMessage().contains("relux"), e.getMessage());
    }

    @Test
    void everyTypesBuilderCopiesItsConfigExactly() {
        for (String name : LayerRegistry.types()) {
            LayerType<?, ?, ?> type = LayerRegistry.type(name);
            copies(type);
        }
    }

    private static <C extends Record & LayerConfig, B extends ConfigBuilder<C>> void copies(LayerType<C, B, ?> type) {
        C defaults = type.defaults();
        B b = type.builder().get();
        b.copyFrom(defaults);
        assertEquals(defaults, b.build(), type.name() + ": builder -> config -> builder");
        assertEquals(type.configClass(), defaults.getClass(), type.name());
    }

    @Test
    void badSizesNameTheKey() {
        var zeroStride = Json.MAPPER.createObjectNode().put("type", "Conv2D").put("filters", 4);
        zeroStride.putArray("kernel_size").add(3).add(3);
        zeroStride.putArray("strides").add(0).add(1);
        ConfigException c = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(zeroStride, "model.layers[1]"));
        assertTrue(c.getMessage().startsWith("model.layers[1].strides: expected positive integers"), c.getMessage());
    }

    @Test
    void closedSettingsSuggestTheNameMeantOrListThemAll() {
        var padding = Json.MAPPER.createObjectNode().put("type", "MaxPooling2D").put("padding", "smae");
        ConfigException e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(padding, "model.layers[2]"));
        assertEquals("model.layers[2].padding: unknown padding \"smae\"; did you mean \"same\"?", e.getMessage());
        var interpolation = Json.MAPPER.createObjectNode().put("type", "UpSampling2D").put("interpolation", "cubic");
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(interpolation, "l"));
        assertEquals("l.interpolation: unknown interpolation \"cubic\"; expected one of [nearest, bilinear]", e.getMessage());
        var channelsFirst = Json.MAPPER.createObjectNode().put("type", "Conv2D").put("filters", 2).put("data_format", "channels_first");
        channelsFirst.putArray("kernel_size").add(3).add(3);
        e = assertThrows(ConfigException.class, () -> LayerRegistry.fromJson(channelsFirst, "l"));
        assertTrue(e.getMessage().startsWith("l.data_format: \"channels_first\" is not supported"), e.getMessage());
        var leaky = Json.MAPPER.createObjectNode().put("type", "Dense").put("units", 2).put("activation", "LeakyReLU");
        assertEquals("leaky_relu", LayerRegistry.toJson(LayerRegistry.fromJson(leaky, "l")).get("activation").asText());
    }
}
