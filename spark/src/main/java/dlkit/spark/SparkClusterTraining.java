package dlkit.spark;

import dlkit.run.ClusterTraining;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import java.nio.file.Path;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/** {@link ClusterTraining} on Spark: what {@code dl train --spark} finds on its classpath. */
public final class SparkClusterTraining implements ClusterTraining {
    @Override
    public Run.@NonNull Result train(RunConfig.@NonNull DistributedConfig settings, @NonNull Run run, Run.@NonNull Overrides overrides,
                                     @NonNull Path out, java.io.@Nullable PrintStream progress) {
        return SparkRun.train(settings, run, overrides, out, progress);
    }
}
