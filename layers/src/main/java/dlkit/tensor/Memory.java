package dlkit.tensor;

import dlkit.ResourceException;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.bytedeco.javacpp.Pointer;
import org.jspecify.annotations.NonNull;

/**
 * What this JVM can still allocate, checked before anything large is: weights, activations and data. A size that
 * comes from a file or config is checked here first, so it ends as a clear error rather than an OutOfMemoryError,
 * a wrapped int or a crash in native code.
 */
public final class Memory {
    private static final String RAISE = " (raise the limit with DL_JAVA_OPTS=-Xmx..., or use a smaller model or batch)";

    private Memory() {}

    /**
     * Off-heap bytes (ND4J buffers) a request may take: 90% of what is still free under JavaCPP's limit
     * ({@code -Xmx} unless set) and the machine's RAM — the rest is left for the natives' own work.
     */
    public static long offHeapAvailable() {
        return Math.max(0, (Math.min(Pointer.maxBytes(), PHYSICAL) - Pointer.totalBytes()) / 10 * 9);
    }

    /**
     * Java heap bytes a request may take: 80% of what is free after what is in use now. Large arrays need contiguous
     * room, and a heap filled to the last byte fails anyway (three arrays of 1.0 GB in all did not fit a 1.07 GB heap).
     */
    public static long heapAvailable() {
        Runtime r = Runtime.getRuntime();
        return Math.max(0, (Math.min(r.maxMemory(), PHYSICAL) - (r.totalMemory() - r.freeMemory())) / 5 * 4);
    }

    /**
     * Throws a {@link ResourceException} unless {@code bytes} (-1: overflowed) of off-heap memory are free; the
     * message starts with {@code what} ("the weights of layer 'dense' (Dense)").
     */
    public static void requireOffHeap(long bytes, @NonNull String what) {
        long free = offHeapAvailable();
        if (bytes < 0 || bytes > free) {
            throw new ResourceException(what + ": " + format(bytes) + " of native memory needed, " + format(free) + " usable in this JVM" + RAISE);
        }
    }

    /** As {@link #requireOffHeap}, for arrays on the Java heap. */
    public static void requireHeap(long bytes, @NonNull String what) {
        long free = heapAvailable();
        if (bytes < 0 || bytes > free) {
            throw new ResourceException(what + ": " + format(bytes) + " of heap needed, " + format(free) + " usable in this JVM" + RAISE);
        }
    }

    /** {@code a × b × ...} as a long, or -1 (never a valid size) when the product overflows or a factor is negative. */
    public static long product(long @NonNull ... factors) {
        long p = 1;
        for (long f : factors) {
            if (f < 0) {
                return -1;
            }
            try {
                p = Math.multiplyExact(p, f);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return p;
    }

    /** {@code 34.6 GB}, {@code 512.0 MB}; "more than 8 EB" for the overflow marker -1. */
    public static @NonNull String format(long bytes) {
        if (bytes < 0) {
            return "more than 8 EB";
        }
        String[] units = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    private static final long PHYSICAL = physicalMemory();

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            long total = os.getTotalMemorySize();
            return total > 0 ? total : Long.MAX_VALUE;
        }
        return Long.MAX_VALUE;
    }
}
