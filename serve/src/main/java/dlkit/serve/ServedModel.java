package dlkit.serve;

import dlkit.model.Model;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/** One loaded model under its served name: its signature and batcher, and the file version it was read from. */
final class ServedModel {
    /** A file's identity for reload: a replacement changes its size or modification time. */
    record Stamp(long size, long modifiedMillis) {}

    private final String name;
    private final Path file;
    private final Stamp stamp;
    private final Signature signature;
    private final Batcher batcher;

    ServedModel(String name, Path file, Stamp stamp, Model model, int maxBatch, long maxDelayNanos, IntConsumer batchSizes) {
        this.name = name;
        this.file = file;
        this.stamp = stamp;
        this.signature = Signature.of(model);
        this.batcher = new Batcher(name, model.predictor(maxBatch), maxDelayNanos, batchSizes);
    }

    String name() {
        return name;
    }

    Path file() {
        return file;
    }

    Stamp stamp() {
        return stamp;
    }

    Signature signature() {
        return signature;
    }

    Batcher batcher() {
        return batcher;
    }

    int queueDepth() {
        return batcher.queueDepth();
    }
}
