package dlkit.cli;

import dlkit.ConfigException;
import dlkit.data.ArrayDataset;
import dlkit.model.Model;

/** Normalises a data set with statistics from a training set and views it in the model's input shape. */
final class Preprocess {
    private Preprocess() {}

    static ArrayDataset apply(Model m, ArrayDataset train, ArrayDataset d, String normalize, String what) {
        ArrayDataset out = switch (normalize) {
            case "none" -> d;
            case "scale" -> {
                double[] r = train.range();
                int f = d.featureShape().size();
                double[] shift = new double[f];
                double[] scale = new double[f];
                java.util.Arrays.fill(shift, r[0]);
                java.util.Arrays.fill(scale, r[1] > r[0] ? 1 / (r[1] - r[0]) : 1);
                yield d.normalized(shift, scale);
            }
            case "standardize" -> {
                double[][] mo = train.featureMoments();
                double[] scale = new double[mo[1].length];
                for (int j = 0; j < scale.length; j++) {
                    scale[j] = mo[1][j] > 1e-12 ? 1 / mo[1][j] : 1;
                }
                yield d.normalized(mo[0], scale);
            }
            default -> throw new ConfigException("--normalize", "expected none, scale or standardize, got \"" + normalize + "\"");
        };
        if (out.featureShape().size() != m.inputShape().size()) {
            throw new ConfigException(null, what + ": samples have " + out.featureShape().size() + " values but model '" + m.name()
                    + "' takes " + m.inputShape().size() + " (shape " + m.inputShape() + ")");
        }
        return out.featureShape().equals(m.inputShape()) ? out : out.reshape(m.inputShape());
    }
}
