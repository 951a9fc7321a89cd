package dlkit.serve;

import dlkit.model.Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The served models: a model file, or every model file in a directory under its file name without the extension.
 * A poll (every {@code pollMillis}) loads what is new or replaced and swaps it in atomically: requests already
 * admitted finish on the old model, whose batcher drains and ends. A replacement that fails to load leaves the old
 * model serving (and is retried only once the file changes again); a removed file stops being served.
 */
final class ModelRepository implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelRepository.class);
    static final List<String> EXTENSIONS = List.of(".dlk", ".keras");

    private final Path source;
    private final int maxBatch;
    private final long maxDelayNanos;
    private final Function<Path, Model> loader;
    private final BiConsumer<String, Integer> batchSizes;
    private final Map<String, ServedModel> served = new ConcurrentHashMap<>();
    /** Why a file version failed to load, by name; the stamp so that the same bytes are not read again. */
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller;
    private volatile boolean scanned;

    private record Failure(ServedModel.Stamp stamp, String message) {}

    ModelRepository(Path source, int maxBatch, long maxDelayNanos, Function<Path, Model> loader, BiConsumer<String, Integer> batchSizes) {
        this.source = source;
        this.maxBatch = maxBatch;
        this.maxDelayNanos = maxDelayNanos;
        this.loader = loader;
        this.batchSizes = batchSizes;
        this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dlkit-model-poller");
            t.setDaemon(true);
            return t;
        });
    }

    /** Loads in the background (first scan at once, then every {@code pollMillis}); until then the server is not ready. */
    void start(long pollMillis) {
        poller.scheduleWithFixedDelay(() -> {
            try {
                scan();
            } catch (RuntimeException e) {
                LOG.warn("model scan of {} failed: {}", source, e.getMessage());
            }
            scanned = true;
        }, 0, pollMillis, TimeUnit.MILLISECONDS);
    }

    /** The served name of a model file, or null for a file that is not one. */
    static @Nullable String nameOf(Path file) {
        String f = file.getFileName() == null ? "" : file.getFileName().toString();
        for (String ext : EXTENSIONS) {
            if (f.toLowerCase(Locale.ROOT).endsWith(ext) && f.length() > ext.length()) {
                return f.substring(0, f.length() - ext.length());
            }
        }
        return null;
    }

    /** One pass: load what is new or changed, drop what is gone. */
    synchronized void scan() {
        Map<String, Path> files = new HashMap<>();
        if (Files.isDirectory(source)) {
            try (Stream<Path> s = Files.list(source)) {
                s.filter(Files::isRegularFile).forEach(f -> {
                    String name = nameOf(f);
                    if (name != null) {
                        files.put(name, f);
                    }
                });
            } catch (IOException e) {
                LOG.warn("cannot list {}: {}", source, e.getMessage());
                return;
            }
        } else if (Files.isRegularFile(source)) {
            String name = nameOf(source);
            files.put(name == null ? source.getFileName().toString() : name, source);
        }
        for (Map.Entry<String, Path> e : files.entrySet()) {
            String name = e.getKey();
            ServedModel.Stamp stamp = stamp(e.getValue());
            if (stamp == null) {
                continue;
            }
            ServedModel current = served.get(name);
            Failure failed = failures.get(name);
            if ((current != null && current.stamp().equals(stamp)) || (failed != null && failed.stamp().equals(stamp))) {
                continue;
            }
            load(name, e.getValue(), stamp, current);
        }
        for (String name : new ArrayList<>(served.keySet())) {
            if (!files.containsKey(name)) {
                ServedModel gone = served.remove(name);
                LOG.info("model {}: {} is gone; no longer served", name, gone.file());
                gone.batcher().close();
            }
        }
        failures.keySet().removeIf(name -> !files.containsKey(name));
    }

    private void load(String name, Path file, ServedModel.Stamp stamp, @Nullable ServedModel current) {
        long t0 = System.nanoTime();
        ServedModel next;
        try {
            Model model = loader.apply(file);
            next = new ServedModel(name, file, stamp, model, maxBatch, maxDelayNanos, rows -> batchSizes.accept(name, rows));
            warmUp(next, model);
        } catch (RuntimeException | OutOfMemoryError e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            failures.put(name, new Failure(stamp, why));
            if (current != null) {
                LOG.warn("model {}: {} failed to load, the previous version stays served: {}", name, file, why);
            } else {
                LOG.warn("model {}: {} failed to load: {}", name, file, why);
            }
            return;
        }
        failures.remove(name);
        served.put(name, next);
        if (current != null) {
            current.batcher().close();
        }
        LOG.info("model {}: {} {} in {} ms", name, file, current == null ? "loaded" : "reloaded", (System.nanoTime() - t0) / 1_000_000);
    }

    /** The plan's kernels build their per-batch-size native primitives on first use: once here, not in a request. */
    private void warmUp(ServedModel m, Model model) {
        dlkit.model.Predictor p = model.predictor(maxBatch);
        float[][] in = new float[p.inputCount()][];
        float[][] out = new float[p.outputCount()][];
        for (int i = 0; i < in.length; i++) {
            in[i] = new float[maxBatch * p.inputSize(i)];
        }
        for (int o = 0; o < out.length; o++) {
            out[o] = new float[maxBatch * p.outputSize(o)];
        }
        p.predict(in, 1, out);
        p.predict(in, maxBatch, out);
    }

    private static ServedModel.@Nullable Stamp stamp(Path file) {
        try {
            return new ServedModel.Stamp(Files.size(file), Files.getLastModifiedTime(file).toMillis());
        } catch (IOException e) {
            return null;
        }
    }

    @Nullable ServedModel get(String name) {
        return served.get(name);
    }

    /** Why a model that is not served failed to load, or null. */
    @Nullable String failure(String name) {
        Failure f = failures.get(name);
        return f == null ? null : f.message();
    }

    Collection<ServedModel> models() {
        return served.values();
    }

    /** The first scan has run and something is served. */
    boolean ready() {
        return scanned && !served.isEmpty();
    }

    boolean scanned() {
        return scanned;
    }

    @Override
    public void close() {
        poller.shutdownNow();
        served.values().forEach(m -> m.batcher().close());
    }
}
