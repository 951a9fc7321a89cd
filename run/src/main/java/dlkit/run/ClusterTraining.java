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
     * Trains {@code run} on {@code master} with {@code workers} (null: what the master implies) and writes the run
     * directory {@code out} as {@link Run#train} does.
     */
    Run.@NonNull Result train(@NonNull String master, @Nullable Integer workers, @NonNull Run run, Run.@NonNull Overrides overrides,
                              @NonNull Path out);

    /** The implementation on the classpath, or null when there is none. */
    static @Nullable ClusterTraining find() {
        return ServiceLoader.load(ClusterTraining.class).findFirst().orElse(null);
    }
}
