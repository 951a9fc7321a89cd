package dlkit.data;

import dlkit.ConfigException;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Feature normalisation fitted on the training split only: {@code scale} maps the training range to [0, 1],
 * {@code standardize} gives every feature zero mean and unit variance; {@code none} leaves data alone.
 */
public final class Normalization {
    public static final List<String> MODES = List.of("none", "scale", "standardize");

    private final double @Nullable [] shift;
    private final double @Nullable [] scale;

    private Normalization(double @Nullable [] shift, double @Nullable [] scale) {
        this.shift = shift;
        this.scale = scale;
    }

    public static @NonNull Normalization fit(@NonNull ArrayDataset train, @NonNull String mode) {
        int f = train.featureShape().size();
        switch (mode) {
            case "none":
                return new Normalization(null, null);
            case "scale": {
                double[] r = train.range();
                double[] shift = new double[f];
                double[] scale = new double[f];
                Arrays.fill(shift, r[0]);
                Arrays.fill(scale, r[1] > r[0] ? 1 / (r[1] - r[0]) : 1);
                return new Normalization(shift, scale);
            }
            case "standardize": {
                double[][] m = train.featureMoments();
                double[] scale = new double[f];
                for (int j = 0; j < f; j++) {
                    scale[j] = m[1][j] > 1e-12 ? 1 / m[1][j] : 1;
                }
                return new Normalization(m[0], scale);
            }
            default:
                throw new ConfigException("normalize", "expected one of " + MODES + ", got \"" + mode + "\"");
        }
    }

    public @NonNull ArrayDataset apply(@NonNull ArrayDataset d) {
        return shift == null ? d : d.normalized(shift, scale);
    }
}
