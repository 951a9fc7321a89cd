package dlkit.tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.systems.global.linux;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the native-library settings dlkit needs before ND4J and OpenBLAS load, for library users as well as the CLI.
 *
 * <p>Two traps measured on the target machines: OpenBLAS 0.3.19 (bundled with ND4J 1.0.0-M2.1) does not recognise
 * some newer CPUs and falls back to slow generic kernels, and OpenMP threads plus OpenBLAS threads oversubscribe small
 * machines. Both are read from the environment only when the libraries load, so we set them in-process with
 * {@code setenv} before anything touches ND4J. Values the user already set are left alone.
 */
public final class Native {
    private static final Logger LOG = LoggerFactory.getLogger(Native.class);
    private static volatile Map<String, String> applied;
    private static int blasThreads = 1;

    private Native() {}

    /** Idempotent; every entry point that creates buffers calls it first. Returns what was chosen, for logging. */
    public static synchronized @NonNull Map<String, String> init() {
        if (applied != null) {
            return applied;
        }
        Map<String, String> chosen = new LinkedHashMap<>();
        boolean linux = System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
        if (linux) {
            String core = System.getenv("OPENBLAS_CORETYPE");
            if (core == null) {
                core = coreTypeFor(cpuFlags());
                if (core != null) {
                    setenv("OPENBLAS_CORETYPE", core);
                }
            }
            chosen.put("OPENBLAS_CORETYPE", core == null ? "(auto)" : core);
            // libnd4j now runs only the convolution and pooling ops (oneDNN), which gain ~2x from a second thread;
            // dlkit's own element-wise kernels never touch OpenMP. A passive wait policy keeps idle OpenMP threads from
            // spinning against the OpenBLAS and Java threads (the spin policy made small ops 2-3x slower).
            String omp = System.getenv("OMP_NUM_THREADS");
            if (omp == null) {
                omp = Integer.toString(Math.min(Runtime.getRuntime().availableProcessors(), 4));
                setenv("OMP_NUM_THREADS", omp);
            }
            if (System.getenv("OMP_WAIT_POLICY") == null) {
                setenv("OMP_WAIT_POLICY", "PASSIVE");
            }
            chosen.put("OMP_NUM_THREADS", omp);
            // Idle OpenBLAS threads poll with sched_yield for 2^28 cycles before sleeping; between the GEMMs of a CNN
            // step they burnt a third of the CPU time as system calls (13.5 s of 46 s; 416k sched_yield calls in 30
            // steps) against the oneDNN threads. 2^12 cycles: the CNN step went 113 -> 97 ms, system time to 2 s.
            String timeout = System.getenv("OPENBLAS_THREAD_TIMEOUT");
            if (timeout == null) {
                timeout = "12";
                setenv("OPENBLAS_THREAD_TIMEOUT", timeout);
            }
            chosen.put("OPENBLAS_THREAD_TIMEOUT", timeout);
        }
        // GEMM is the one place where a second thread pays (measured ~2x on 2 cores). ND4J sets OpenBLAS' thread
        // count when its backend starts (from OMP_NUM_THREADS as the JVM saw it at launch), so start it first and
        // set ours after: otherwise the count, and with it the rounding of every GEMM, depends on the launch env.
        org.nd4j.linalg.factory.Nd4j.getExecutioner();
        Loader.load(openblas_nolapack.class);
        String requested = System.getProperty("dlkit.blasThreads", System.getenv("DLKIT_BLAS_THREADS"));
        int cores = Runtime.getRuntime().availableProcessors();
        blasThreads = requested != null ? Integer.parseInt(requested.trim()) : Math.min(cores, 4);
        openblas_nolapack.blas_set_num_threads(blasThreads);
        chosen.put("blas_threads", Integer.toString(openblas_nolapack.blas_get_num_threads()));
        LOG.info("dlkit native settings: {}", chosen);
        applied = Map.copyOf(chosen);
        return applied;
    }

    public static int blasThreads() {
        init();
        return blasThreads;
    }

    public static void setBlasThreads(int threads) {
        init();
        if (threads < 1) {
            throw new IllegalArgumentException("BLAS threads must be at least 1, got " + threads);
        }
        blasThreads = threads;
        openblas_nolapack.blas_set_num_threads(threads);
    }

    /**
     * OpenBLAS' thread count for the calls that follow, the configured {@link #blasThreads} unchanged: a kernel that
     * runs GEMMs on two Java threads at once sets 1 (two callers each asking for both cores slow each other 2-3x) and
     * restores {@code blasThreads()} after. Process-wide, like OpenBLAS' own setting: a model running beside it
     * meanwhile gets single-threaded GEMMs, never wrong ones.
     */
    public static void blasThreadsForNextCalls(int threads) {
        init();
        org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads direct = SetThreads.DIRECT;
        if (direct != null) {
            direct.call(threads);
        } else {
            openblas_nolapack.blas_set_num_threads(threads);
        }
    }

    /**
     * openblas_set_num_threads itself, looked up once (on first use, after {@link #init}): the preset's
     * blas_set_num_threads looks up four vendors' functions by name on every call, ~170 µs a call here. Null when
     * another BLAS was loaded in OpenBLAS' place. The constructor is protected; the empty subclass reaches it.
     */
    private static final class SetThreads {
        static final org.bytedeco.openblas.presets.openblas_nolapack.@Nullable SetNumThreads DIRECT = lookUp();

        private static org.bytedeco.openblas.presets.openblas_nolapack.@Nullable SetNumThreads lookUp() {
            Pointer f = Loader.addressof("openblas_set_num_threads");
            return f == null || f.isNull() ? null : new org.bytedeco.openblas.presets.openblas_nolapack.SetNumThreads() {}.put(f);
        }
    }

    /** OpenBLAS kernel family for the CPU's vector extensions; null when OpenBLAS' own detection is trusted. */
    static String coreTypeFor(String flags) {
        if (flags == null) {
            return null;
        }
        String f = " " + flags + " ";
        if (f.contains(" avx512f ") && f.contains(" avx512bw ")) {
            return "SkylakeX";
        }
        if (f.contains(" avx2 ") && f.contains(" fma ")) {
            return "Haswell";
        }
        return null;
    }

    private static String cpuFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot read /proc/cpuinfo", e);
        }
        return null;
    }

    private static void setenv(String key, String value) {
        try {
            linux.setenv(key, value, 0);
        } catch (Throwable t) {
            LOG.warn("could not set {}={} in-process ({}); set it in the environment instead", key, value, t.toString());
        }
    }
}
