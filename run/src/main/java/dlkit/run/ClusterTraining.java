package dlkit.run;

import java.nio.file.Path;
import java.util.ServiceLoader;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Training a prepared run on a cluster ({@code dl train --spark}), found at run time: the Spark module provides it
 * (META-INF/services), so neither the CLI nor its build needs Spark unless a run asks for it.
 */
public interface ClusterTraining {
    /**
     * Trains {@code run} with {@code settings} (their master set; workers null: what the master implies) and writes
     * the run directory {@code out} as {@link Run#train} does, showing progress on {@code progress} (null: quiet).
     */
    Run.@NonNull Result train(RunConfig.@NonNull DistributedConfig settings, @NonNull Run run, Run.@NonNull Overrides overrides,
                              @NonNull Path out, java.io.@Nullable PrintStream progress);

    /** The implementation on the classpath, or null when there is none. */
    static @Nullable ClusterTraining find() {
        return ServiceLoader.load(ClusterTraining.class).findFirst().orElse(null);
    }
}
