package dlkit.spark;

import dlkit.run.ClusterTraining;
import dlkit.run.Run;
import java.nio.file.Path;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** {@link ClusterTraining} on Spark: what {@code dl train --spark} finds on its classpath. */
public final class SparkClusterTraining implements ClusterTraining {
    @Override
    public Run.@NonNull Result train(@NonNull String master, @Nullable Integer workers, @NonNull Run run, Run.@NonNull Overrides overrides,
                                     @NonNull Path out) {
        return SparkRun.train(master, workers, run, overrides, out);
    }
}
