package dlkit.callbacks;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.ConfigException;
import dlkit.config.Json;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads one callback's JSON config: every key checked, every error naming its JSON path. */
final class Options {
    private final JsonNode node;
    private final String path;

    Options(JsonNode node, String path, String... keys) {
        this.node = node;
        this.path = path;
        Set<String> known = new HashSet<>(List.of(keys));
        known.add("type");
        Json.checkKeys(node, known, path);
    }

    boolean has(String key) {
        return node.has(key) && !node.get(key).isNull();
    }

    JsonNode get(String key) {
        return node.get(key);
    }

    String at(String key) {
        return Json.join(path, key);
    }

    String string(String key, String def) {
        if (!has(key)) {
            return def;
        }
        if (!node.get(key).isTextual()) {
            throw new ConfigException(at(key), "expected a string, got " + node.get(key));
        }
        return node.get(key).asText();
    }

    String choice(String key, String def, List<String> allowed) {
        String v = string(key, def);
        if (!allowed.contains(v)) {
            String hint = Json.suggest(v, allowed);
            throw new ConfigException(at(key), "expected one of " + allowed + ", got \"" + v + "\""
                    + (hint != null ? "; did you mean \"" + hint + "\"?" : ""));
        }
        return v;
    }

    double number(String key, double def) {
        if (!has(key)) {
            return def;
        }
        JsonNode n = node.get(key);
        if (!n.isNumber() || !Double.isFinite(n.asDouble())) {
            throw new ConfigException(at(key), "expected a finite number, got " + n);
        }
        return n.asDouble();
    }

    Double optionalNumber(String key) {
        return has(key) ? number(key, 0) : null;
    }

    int integer(String key, int def, int min) {
        if (!has(key)) {
            return def;
        }
        return Json.integer(node.get(key), at(key), min, Integer.MAX_VALUE, "an integer >= " + min);
    }

    boolean bool(String key, boolean def) {
        if (!has(key)) {
            return def;
        }
        if (!node.get(key).isBoolean()) {
            throw new ConfigException(at(key), "expected true or false, got " + node.get(key));
        }
        return node.get(key).asBoolean();
    }

    /** Keras' {@code save_freq}: "epoch" (0 here) or a positive number of optimizer steps. */
    int saveFreq() {
        if (!has("save_freq")) {
            return 0;
        }
        JsonNode f = node.get("save_freq");
        if (f.isTextual() && f.asText().equals("epoch")) {
            return 0;
        }
        if (f.isIntegralNumber() && f.canConvertToInt() && f.asInt() >= 1) {
            return f.asInt();
        }
        throw new ConfigException(at("save_freq"), "expected \"epoch\" or a positive number of batches, got " + f);
    }

    /** Runs a builder setter, reporting its IllegalArgumentException at this key's path. */
    void apply(String key, Runnable setter) {
        try {
            setter.run();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(at(key), e.getMessage());
        }
    }
}
