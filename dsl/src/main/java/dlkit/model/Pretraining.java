package dlkit.model;

import dlkit.DlkitException;
import dlkit.data.ArrayDataset;
import dlkit.layers.Input;
import dlkit.layers.Layer;
import dlkit.layers.core.Dense;
import dlkit.layers.regularization.GaussianNoise;
import dlkit.loss.Loss;
import dlkit.optim.Adam;
import dlkit.optim.Optimizer;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Greedy layer-wise pretraining (Bengio et al. 2007, stacked autoencoders): each hidden Dense layer of a Sequential
 * model in turn is trained, unsupervised, as the encoder of a one-layer autoencoder on the features the layers
 * before it make of unlabeled data; its weights then stay in the model, which is fine-tuned with labels afterwards by
 * an ordinary {@link Model#fit}. With {@code noise} &gt; 0 each autoencoder is a denoising one (Vincent et al. 2008):
 * it reconstructs the clean features from ones with Gaussian noise added.
 */
public final class Pretraining {
    private Pretraining() {}

    /**
     * {@code layers}: the Dense layers to pretrain by name, in order; empty for every Dense layer but the last (the
     * classifier). The decoder is linear and trained with {@code loss} (mean squared error by default).
     */
    public record Options(int epochs, int batchSize, @NonNull Optimizer optimizer, @NonNull Loss loss, double noise,
                          long seed, @NonNull List<String> layers) {
        public Options {
            if (epochs < 1 || batchSize < 1) {
                throw new IllegalArgumentException("pretraining needs epochs >= 1 and batch_size >= 1, got " + epochs + " and " + batchSize);
            }
            if (!(noise >= 0)) {
                throw new IllegalArgumentException("noise: expected a standard deviation >= 0, got " + noise);
            }
            layers = List.copyOf(layers);
        }

        /** 5 epochs at batch 256, Adam 0.001, mean squared error, no noise, every hidden Dense layer. */
        public static @NonNull Options defaults() {
            return new Options(5, 256, Adam.of(0.001), Loss.MEAN_SQUARED_ERROR, 0, 1, List.of());
        }

        public @NonNull Options withEpochs(int v) {
            return new Options(v, batchSize, optimizer, loss, noise, seed, layers);
        }

        public @NonNull Options withBatchSize(int v) {
            return new Options(epochs, v, optimizer, loss, noise, seed, layers);
        }

        public @NonNull Options withOptimizer(@NonNull Optimizer v) {
            return new Options(epochs, batchSize, v, loss, noise, seed, layers);
        }

        public @NonNull Options withLoss(@NonNull Loss v) {
            return new Options(epochs, batchSize, optimizer, v, noise, seed, layers);
        }

        public @NonNull Options withNoise(double v) {
            return new Options(epochs, batchSize, optimizer, loss, v, seed, layers);
        }

        public @NonNull Options withSeed(long v) {
            return new Options(epochs, batchSize, optimizer, loss, noise, v, layers);
        }

        public @NonNull Options withLayers(@NonNull List<String> v) {
            return new Options(epochs, batchSize, optimizer, loss, noise, seed, v);
        }
    }

    /** One pretrained layer: its name, input and output widths and the final reconstruction loss. */
    public record LayerResult(@NonNull String layer, int inputs, int units, double loss) {}

    /** Progress hooks: told when each layer starts, and asked for the callbacks (a progress bar) its fit runs with. */
    public interface Listener {
        default void onLayerBegin(int index, int count, @NonNull String layer, int inputs, int units) {}

        default @NonNull List<Callback> callbacks() {
            return List.of();
        }
    }

    public static @NonNull List<LayerResult> greedyLayerwise(@NonNull Model model, @NonNull ArrayDataset unlabeled, @NonNull Options o) {
        return greedyLayerwise(model, unlabeled, o, new Listener() {});
    }

    /** Pretrains {@code model}'s layers in place on the samples of {@code unlabeled} (their labels are ignored). */
    public static @NonNull List<LayerResult> greedyLayerwise(@NonNull Model model, @NonNull ArrayDataset unlabeled, @NonNull Options o,
                                                             @NonNull Listener listener) {
        if (model.isFunctional()) {
            throw new DlkitException("layer-wise pretraining works on Sequential models (a stack of layers); model '" + model.name() + "' is a graph");
        }
        if (!unlabeled.featureShape().equals(model.inputShape())) {
            throw new DlkitException("pretraining data: samples are shaped " + unlabeled.featureShape() + " but model '" + model.name()
                    + "' expects " + model.inputShape());
        }
        List<Layer> layers = model.layers();
        List<Integer> targets = new ArrayList<>();
        if (o.layers().isEmpty()) {
            for (int i = 1; i < layers.size() - 1; i++) {
                if (layers.get(i) instanceof Dense) {
                    targets.add(i);
                }
            }
        } else {
            for (String name : o.layers()) {
                int i = layers.indexOf(model.getLayer(name));
                if (!(layers.get(i) instanceof Dense)) {
                    throw new DlkitException("pretraining: layer '" + name + "' is a " + layers.get(i).type() + "; layer-wise pretraining trains Dense layers");
                }
                if (!targets.isEmpty() && i <= targets.get(targets.size() - 1)) {
                    throw new DlkitException("pretraining: list the layers in model order; '" + name + "' comes before an earlier entry");
                }
                targets.add(i);
            }
        }
        if (targets.isEmpty()) {
            throw new DlkitException("pretraining: model '" + model.name() + "' has no hidden Dense layer to pretrain");
        }
        if (!model.isInitialized()) {
            model.initialize(o.seed());
        }
        INDArray features = unlabeled.featuresArray();
        int done = 0; // features are the output of layers[done]
        List<LayerResult> results = new ArrayList<>();
        for (int t = 0; t < targets.size(); t++) {
            int k = targets.get(t);
            if (k - 1 > done) {
                features = slice(model, done + 1, k - 1).predict(features, 512);
            }
            Shape in = model.layerOutputShapes().get(k - 1);
            if (in.rank() != 1) {
                throw new DlkitException("pretraining: layer '" + layers.get(k).name() + "' takes " + in.withBatch()
                        + "; layer-wise pretraining needs flat inputs (put a Flatten before the first Dense layer)");
            }
            Dense layer = (Dense) layers.get(k);
            List<Layer> ae = new ArrayList<>();
            ae.add(Input.of(in.dims()));
            if (o.noise() > 0) {
                ae.add(GaussianNoise.of(o.noise()).named(layer.name() + "_noise"));
            }
            ae.add(layer);
            ae.add(Dense.of(in.size()).named(layer.name() + "_decoder"));
            Model auto = new Sequential(layer.name() + "_autoencoder", ae, model.dtype());
            auto.compile(o.optimizer(), o.loss());
            auto.initialize(o.seed() * 31 + k);
            auto.setWeightsFrom(model);
            listener.onLayerBegin(t, targets.size(), layer.name(), in.size(), layer.config().units());
            ArrayDataset data = ArrayDataset.of(features, features);
            History h = auto.fit(data, FitOptions.epochs(o.epochs()).batchSize(o.batchSize()).seed(o.seed() + k)
                    .callbacks(listener.callbacks().toArray(new Callback[0])));
            model.setWeightsFrom(auto);
            results.add(new LayerResult(layer.name(), in.size(), layer.config().units(), h.last("loss")));
            features = slice(model, k, k).predict(features, 512);
            done = k;
        }
        return results;
    }

    /** Layers {@code from}..{@code to} of a Sequential model as a model of their own, with the same weights. */
    static Model slice(Model model, int from, int to) {
        List<Layer> ls = new ArrayList<>();
        ls.add(Input.of(model.layerOutputShapes().get(from - 1).dims()));
        ls.addAll(model.layers().subList(from, to + 1));
        Model m = new Sequential(model.name() + "_part", ls, model.dtype());
        m.setWeightsFrom(model);
        return m;
    }
}
