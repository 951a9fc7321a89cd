package dlkit.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dlkit.ConfigException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** The one Jackson setup for every dlkit file: Keras' snake_case keys, unknown keys rejected, no Java types in JSON. */
public final class Json {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    /** Reads {@code node} as {@code type}, turning Jackson's errors into a {@link ConfigException} at {@code path}. */
    public static <T> @NonNull T read(@NonNull JsonNode node, @NonNull Class<T> type, @NonNull String path) {
        return read(MAPPER, node, type, path);
    }

    /** {@link #read(JsonNode, Class, String)} through a mapper with more modules (the layer registry's). */
    public static <T> @NonNull T read(@NonNull ObjectMapper mapper, @NonNull JsonNode node, @NonNull Class<T> type, @NonNull String path) {
        if (node == null || node.isNull()) {
            // Jackson maps JSON null to a Java null, which the callers (a metric list, a loss) would carry on with
            throw new ConfigException(path, "expected a " + Character.toLowerCase(type.getSimpleName().charAt(0))
                    + type.getSimpleName().substring(1) + ", got null");
        }
        try {
            return mapper.treeToValue(node, type);
        } catch (Exception e) {
            throw toConfigException(e, path);
        }
    }

    /** Rejects any key of {@code node} not in {@code known}, suggesting the closest known one. */
    public static void checkKeys(@NonNull JsonNode node, @NonNull Set<String> known, @NonNull String path) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) {
                String hint = suggest(f, known);
                throw new ConfigException(join(path, f), "unknown key" + (hint != null ? "; did you mean \"" + hint + "\"?" : "")
                        + " (known keys: " + String.join(", ", known.stream().sorted().toList()) + ")");
            }
        }
    }

    public static @NonNull ConfigException toConfigException(@NonNull Throwable e, @NonNull String path) {
        if (e instanceof ConfigException c) {
            return c.under(path);
        }
        if (e instanceof JsonMappingException j && j.getCause() instanceof ConfigException c) {
            // Raised while reading a nested value (a wrapper's inner layer): its path continues this one.
            return c.under(join(path, pathOf(j)));
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "));
            String hint = suggest(u.getPropertyName(), u.getKnownPropertyIds() == null ? List.of() : u.getKnownPropertyIds().stream().map(Object::toString).toList());
            return new ConfigException(join(path, pathOf(u)), "unknown key \"" + u.getPropertyName() + "\""
                    + (hint != null ? "; did you mean \"" + hint + "\"?" : "") + (known.isEmpty() ? "" : " (known keys: " + known + ")"));
        }
        if (e instanceof ValueInstantiationException v && v.getCause() != null) {
            Throwable c = v.getCause();
            if (c instanceof ConfigException ce) {
                return ce.under(join(path, pathOf(v)));
            }
            return ConfigException.folded(join(path, pathOf(v)), c.getMessage(), c);
        }
        if (e instanceof InvalidFormatException f) {
            String detail = f.getCause() instanceof IllegalArgumentException ia ? ia.getMessage()
                    : "expected " + describe(f.getTargetType()) + ", got " + (f.getValue() instanceof String str ? "\"" + str + "\"" : String.valueOf(f.getValue()));
            return new ConfigException(join(path, pathOf(f)), detail, f);
        }
        if (e instanceof MismatchedInputException m) {
            String target = m.getTargetType() == null ? "a value" : describe(m.getTargetType());
            return new ConfigException(join(path, pathOf(m)), "expected " + target + ": " + m.getOriginalMessage().split("\n")[0], m);
        }
        if (e instanceof JsonMappingException j && j.getCause() instanceof IllegalArgumentException ia) {
            return new ConfigException(join(path, pathOf(j)), ia.getMessage(), ia);
        }
        if (e instanceof IllegalArgumentException ia) {
            return new ConfigException(path, ia.getMessage(), ia);
        }
        String msg = e instanceof JsonMappingException j ? j.getOriginalMessage() : e.getMessage();
        return new ConfigException(path, msg == null ? e.toString() : msg.split("\n")[0], e);
    }

    private static String describe(Class<?> t) {
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
            return "an integer";
        }
        if (t == double.class || t == Double.class || t == float.class) {
            return "a number";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (t.isArray() || Collection.class.isAssignableFrom(t)) {
            return "a list";
        }
        return "a " + t.getSimpleName();
    }

    private static String pathOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    public static @NonNull String join(@NonNull String a, @Nullable String b) {
        if (b == null || b.isEmpty()) {
            return a;
        }
        if (a.isEmpty()) {
            return b;
        }
        return b.startsWith("[") ? a + b : a + "." + b;
    }

    /** {@code node} as compact JSON with every object's keys sorted: equal content gives equal text (for hashing). */
    public static @NonNull String canonical(@NonNull JsonNode node) {
        StringBuilder sb = new StringBuilder();
        canonical(node, sb);
        return sb.toString();
    }

    private static void canonical(JsonNode node, StringBuilder sb) {
        if (node.isObject()) {
            java.util.TreeMap<String, JsonNode> sorted = new java.util.TreeMap<>();
            node.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            sb.append('{');
            boolean first = true;
            for (var e : sorted.entrySet()) {
                sb.append(first ? "" : ",").append(MAPPER.getNodeFactory().textNode(e.getKey())).append(':');
                canonical(e.getValue(), sb);
                first = false;
            }
            sb.append('}');
        } else if (node.isArray()) {
            sb.append('[');
            for (int i = 0; i < node.size(); i++) {
                sb.append(i > 0 ? "," : "");
                canonical(node.get(i), sb);
            }
            sb.append(']');
        } else {
            sb.append(node);
        }
    }

    /** An integer that fits a long, exactly: 2^70 or 1.5 are errors at {@code path}, never silently 0 or 1. */
    public static long integer(@NonNull JsonNode n, @NonNull String path) {
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw new ConfigException(path, "expected an integer" + (n.isIntegralNumber() ? " of at most 64 bits" : "") + ", got " + n);
        }
        return n.asLong();
    }

    /** An integer in [{@code min}, {@code max}]; otherwise "expected {@code expected}, got ..." at {@code path}. */
    public static int integer(@NonNull JsonNode n, @NonNull String path, int min, int max, @NonNull String expected) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw new ConfigException(path, "expected " + expected + ", got " + n);
        }
        return n.asInt();
    }

    /** An enum constant as files spell it: its Java name in lower case ({@code CHANNELS_LAST} is {@code "channels_last"}). */
    public static @NonNull String enumName(@NonNull Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    /**
     * The constant of {@code type} that files call {@code name} (see {@link #enumName}); otherwise an
     * IllegalArgumentException naming {@code what} and suggesting the closest name or listing them all.
     */
    public static <E extends Enum<E>> @NonNull E enumValue(@NonNull Class<E> type, @NonNull String name, @NonNull String what) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            if (enumName(e).equals(name)) {
                return e;
            }
            names.add(enumName(e));
        }
        String hint = suggest(name, names);
        throw new IllegalArgumentException("unknown " + what + " \"" + name + "\""
                + (hint != null ? "; did you mean \"" + hint + "\"?" : "; expected one of " + names));
    }

    /** The closest known name by edit distance, when it is close enough to be a likely typo. */
    public static @Nullable String suggest(@NonNull String given, @NonNull Collection<String> known) {
        return known.stream()
                .min(Comparator.comparingInt(k -> distance(given.toLowerCase(), k.toLowerCase())))
                .filter(k -> distance(given.toLowerCase(), k.toLowerCase()) <= Math.max(2, k.length() / 3))
                .orElse(null);
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
