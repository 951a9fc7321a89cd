package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dlkit.ConfigException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.NonNull;

/**
 * The settings a study searches, each by its JSON path in the run config ({@code compile.optimizer.learning_rate},
 * {@code model.layers[1].units}, {@code fit.batch_size}) with its {@link Distribution}, in the order written.
 */
public final class SearchSpace {
    private static final Pattern SEGMENT = Pattern.compile("([^.\\[\\]]+)|\\[(\\d+)]");

    private final Map<String, Distribution> params;
    private final String where;

    private SearchSpace(Map<String, Distribution> params, String where) {
        this.params = params;
        this.where = where;
    }

    /** Reads {@code {"path": {distribution}, …}}; {@code where} names it in errors ({@code tune.space}). */
    public static @NonNull SearchSpace parse(@NonNull JsonNode space, @NonNull String where) {
        if (!space.isObject() || space.isEmpty()) {
            throw new ConfigException(where, "expected an object of settings by JSON path, e.g. {\"compile.optimizer.learning_rate\": "
                    + "{\"log_uniform\": [1e-4, 1e-2]}}, got " + space);
        }
        Map<String, Distribution> params = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = space.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            segments(e.getKey(), name(where, e.getKey()));
            params.put(e.getKey(), Distribution.parse(e.getValue(), name(where, e.getKey())));
        }
        return new SearchSpace(params, where);
    }

    /** {@code tune.space["model.layers[1].units"]}: how errors name a setting of the space. */
    static String name(String where, String path) {
        return where + "[\"" + path + "\"]";
    }

    public @NonNull String name(@NonNull String path) {
        return name(where, path);
    }

    public @NonNull Map<String, Distribution> params() {
        return params;
    }

    /** A path's keys and indices: {@code model.layers[1].units} → model, layers, 1, units. */
    static List<Object> segments(String path, String where) {
        List<Object> out = new ArrayList<>();
        Matcher m = SEGMENT.matcher(path);
        int at = 0;
        while (m.find()) {
            boolean dotted = m.start() == at || (m.start() == at + 1 && path.charAt(at) == '.' && at > 0);
            if (!dotted) {
                break;
            }
            out.add(m.group(1) != null ? m.group(1) : Integer.parseInt(m.group(2)));
            at = m.end();
        }
        if (at != path.length() || out.isEmpty() || !(out.get(0) instanceof String)) {
            throw new ConfigException(where, "not a JSON path into the run config: expected keys joined by '.' with [i] for list items, e.g. "
                    + "\"model.layers[1].units\", got \"" + path + "\"");
        }
        return out;
    }

    /** A copy of {@code config} with each setting of {@code values} at its path. */
    public @NonNull ObjectNode apply(@NonNull ObjectNode config, @NonNull Map<String, JsonNode> values) {
        ObjectNode out = config.deepCopy();
        for (Map.Entry<String, JsonNode> e : values.entrySet()) {
            set(out, e.getKey(), e.getValue(), name(e.getKey()));
        }
        return out;
    }

    /**
     * Sets {@code value} at {@code path}: every key and index before the last must exist in the config; the last may
     * be a key the config leaves at its default.
     */
    static void set(ObjectNode root, String path, JsonNode value, String where) {
        List<Object> segs = segments(path, where);
        JsonNode node = root;
        StringBuilder seen = new StringBuilder();
        for (int i = 0; i < segs.size(); i++) {
            Object s = segs.get(i);
            boolean last = i == segs.size() - 1;
            if (s instanceof String key) {
                if (!(node instanceof ObjectNode o)) {
                    throw new ConfigException(where, "no key \"" + key + "\" here: the run config has " + describe(node) + " at "
                            + (seen.length() == 0 ? "its top" : seen));
                }
                if (last) {
                    o.set(key, value.deepCopy());
                    return;
                }
                if (!o.has(key)) {
                    throw new ConfigException(where, "the run config has no \"" + key + "\"" + (seen.length() == 0 ? "" : " in " + seen)
                            + "; keys there: " + keys(o));
                }
                node = o.get(key);
                seen.append(seen.length() == 0 ? "" : ".").append(key);
            } else {
                int index = (Integer) s;
                if (!(node instanceof ArrayNode a) || index >= a.size()) {
                    throw new ConfigException(where, "no item [" + index + "] in " + seen + ": it is " + describe(node));
                }
                if (last) {
                    a.set(index, value.deepCopy());
                    return;
                }
                node = a.get(index);
                seen.append('[').append(index).append(']');
            }
        }
    }

    private static String keys(ObjectNode o) {
        List<String> k = new ArrayList<>();
        o.fieldNames().forEachRemaining(k::add);
        return k.toString();
    }

    private static String describe(JsonNode n) {
        if (n.isArray()) {
            return "a list of " + n.size();
        }
        if (n.isObject()) {
            return "an object";
        }
        return n.isTextual() ? "the text " + n : "the value " + n;
    }
}
