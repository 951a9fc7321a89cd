package dlkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The structure ARCHITECTURE.md describes, read off the compiled classes by the JDK's {@code jdeps}: modules depend
 * downwards only (layers ← dsl ← keras ← onnx ← callbacks ← run ← tune ← spark ← serve ← cli), no package sits in two modules, and no module holds a
 * cycle of packages.
 */
class ArchitectureTest {
    /** The modules from the bottom up: each may use the ones before it. */
    private static final List<String> MODULES = List.of("layers", "dsl", "keras", "onnx", "callbacks", "run", "tune", "spark", "serve", "cli");
    private static final Pattern EDGE = Pattern.compile("^\\s+(dlkit(?:\\.[\\w.]+)?)\\s+->\\s+(dlkit(?:\\.[\\w.]+)?)\\s");

    @Test
    void modulesDependDownwardsAndNoModuleHasAPackageCycle() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent();
        Map<String, String> moduleOf = new TreeMap<>();
        List<String> dirs = new ArrayList<>();
        List<String> splits = new ArrayList<>();
        for (String m : MODULES) {
            Path classes = root.resolve(m).resolve("target/classes");
            assertTrue(Files.isDirectory(classes), classes + " is built before cli's tests run");
            dirs.add(classes.toString());
            for (String p : packages(classes)) {
                String other = moduleOf.put(p, m);
                if (other != null) {
                    splits.add(p + " in " + other + " and " + m);
                }
            }
        }
        assertEquals(List.of(), splits, "packages split across modules");

        Map<String, Set<String>> edges = new TreeMap<>();
        for (String line : jdeps(dirs)) {
            Matcher e = EDGE.matcher(line);
            if (e.find() && !e.group(1).equals(e.group(2))) {
                edges.computeIfAbsent(e.group(1), k -> new TreeSet<>()).add(e.group(2));
            }
        }
        assertTrue(edges.size() > 20, "jdeps found the package graph: " + edges);

        List<String> upward = new ArrayList<>();
        Map<String, Set<String>> moduleEdges = new LinkedHashMap<>();
        edges.forEach((from, tos) -> tos.forEach(to -> {
            String fm = moduleOf.get(from);
            String tm = moduleOf.get(to);
            if (tm != null && MODULES.indexOf(tm) > MODULES.indexOf(fm)) {
                upward.add(from + " (" + fm + ") -> " + to + " (" + tm + ")");
            }
            if (tm != null && !tm.equals(fm)) {
                moduleEdges.computeIfAbsent(fm, k -> new TreeSet<>()).add(tm);
            }
        }));
        assertEquals(List.of(), upward, "dependencies pointing up the module order " + MODULES);

        List<String> cycles = new ArrayList<>();
        for (String m : MODULES) {
            Map<String, Set<String>> inModule = new TreeMap<>();
            edges.forEach((from, tos) -> {
                if (m.equals(moduleOf.get(from))) {
                    inModule.put(from, new TreeSet<>(tos.stream().filter(t -> m.equals(moduleOf.get(t))).toList()));
                }
            });
            for (Set<String> component : stronglyConnected(inModule)) {
                if (component.size() > 1) {
                    cycles.add(m + ": " + component);
                }
            }
        }
        assertEquals(List.of(), cycles, "package cycles");
        System.out.println("module dependencies: " + moduleEdges);
    }

    private static List<String> packages(Path classes) throws IOException {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(f -> f.toString().endsWith(".class"))
                    .map(f -> classes.relativize(f.getParent()).toString().replace(java.io.File.separatorChar, '.'))
                    .distinct().sorted().toList();
        }
    }

    private static List<String> jdeps(List<String> dirs) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new AssertionError("jdeps is not in this JDK"));
        List<String> args = new ArrayList<>(List.of("-verbose:package", "-filter:none", "-e", "dlkit(\\..*)?"));
        args.addAll(dirs);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = jdeps.run(new PrintWriter(out), new PrintWriter(err), args.toArray(new String[0]));
        assertEquals(0, code, "jdeps failed: " + err);
        return out.toString().lines().toList();
    }

    /** Tarjan's algorithm: the graph's strongly connected components (a cycle is a component of two or more). */
    private static List<Set<String>> stronglyConnected(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new LinkedHashMap<>();
        Map<String, Integer> low = new LinkedHashMap<>();
        List<String> stack = new ArrayList<>();
        List<Set<String>> out = new ArrayList<>();
        for (String v : graph.keySet()) {
            if (!index.containsKey(v)) {
                visit(v, graph, index, low, stack, out);
            }
        }
        return out;
    }

    private static void visit(String v, Map<String, Set<String>> graph, Map<String, Integer> index, Map<String, Integer> low,
                              List<String> stack, List<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.add(v);
        for (String w : graph.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                visit(w, graph, index, low, stack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (stack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.remove(stack.size() - 1);
                component.add(w);
            } while (!w.equals(v));
            out.add(component);
        }
    }
}
