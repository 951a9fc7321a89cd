package dlkit.model;

import dlkit.data.Augmentation;
import dlkit.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * How to run {@link Model#fit}, with Keras' defaults (batch 32, shuffle, no validation). Immutable:
 * {@code FitOptions.epochs(10).batchSize(128).validationSplit(0.1).seed(42)}.
 */
public final class FitOptions {
    private final int epochs;
    private final int batchSize;
    private final double validationSplit;
    private final @Nullable Dataset validationData;
    private final boolean shuffle;
    private final @Nullable Long seed;
    private final int initialEpoch;
    private final List<Callback> callbacks;
    private final Augmentation augmentation;
    private final @Nullable String fingerprint;
    private final @Nullable GradientExchange exchange;

    private FitOptions(int epochs, int batchSize, double validationSplit, @Nullable Dataset validationData, boolean shuffle,
                       @Nullable Long seed, int initialEpoch, List<Callback> callbacks) {
        this(epochs, batchSize, validationSplit, validationData, shuffle, seed, initialEpoch, callbacks, Augmentation.NONE, null, null);
    }

    private FitOptions(int epochs, int batchSize, double validationSplit, @Nullable Dataset validationData, boolean shuffle,
                       @Nullable Long seed, int initialEpoch, List<Callback> callbacks, Augmentation augmentation, @Nullable String fingerprint,
                       @Nullable GradientExchange exchange) {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs: expected a positive integer, got " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch_size: expected a positive integer, got " + batchSize);
        }
        if (!(validationSplit >= 0 && validationSplit < 1)) {
            throw new IllegalArgumentException("validation_split: expected a number in [0, 1), got " + validationSplit);
        }
        if (initialEpoch < 0 || initialEpoch >= epochs) {
            throw new IllegalArgumentException("initial_epoch: expected 0 <= initial_epoch < epochs, got " + initialEpoch);
        }
        this.epochs = epochs;
        this.batchSize = batchSize;
        this.validationSplit = validationSplit;
        this.validationData = validationData;
        this.shuffle = shuffle;
        this.seed = seed;
        this.initialEpoch = initialEpoch;
        this.callbacks = List.copyOf(callbacks);
        this.augmentation = augmentation;
        this.fingerprint = fingerprint;
        this.exchange = exchange;
    }

    public static @NonNull FitOptions epochs(int epochs) {
        return new FitOptions(epochs, 32, 0, null, true, null, 0, List.of());
    }

    public static @NonNull FitOptions defaults() {
        return epochs(1);
    }

    public @NonNull FitOptions withEpochs(int v) {
        return new FitOptions(v, batchSize, validationSplit, validationData, shuffle, seed, initialEpoch, callbacks, augmentation, fingerprint, exchange);
    }

    public @NonNull FitOptions batchSize(int v) {
        return new FitOptions(epochs, v, validationSplit, validationData, shuffle, seed, initialEpoch, callbacks, augmentation, fingerprint, exchange);
    }

    public @NonNull FitOptions validationSplit(double v) {
        return new FitOptions(epochs, batchSize, v, validationData, shuffle, seed, initialEpoch, callbacks, augmentation, fingerprint, exchange);
    }

    public @NonNull FitOptions validationData(@Nullable Dataset v) {
        return new FitOptions(epochs, batchSize, validationSplit, v, shuffle, seed, initialEpoch, callbacks, augmentation, fingerprint, exchange);
    }

    public @NonNull FitOptions shuffle(boolean v) {
        return new FitOptions(epochs, batchSize, validationSplit, validationData, v, seed, initialEpoch, callbacks, augmentation, fingerprint, exchange);
    }

    /** Fixes weight initialisation (when the model has none yet), shuffling and dropout: same seed, same weights. */
    public @NonNull FitOptions seed(long v) {
        return new FitOptions(epochs, batchSize, validationSplit, validationData, shuffle, v, initialEpoch, callbacks, augmentation, fingerprint, exchange);
    }

    public @NonNull FitOptions initialEpoch(int v) {
        return new FitOptions(epochs, batchSize, validationSplit, validationData, shuffle, seed, v, callbacks, augmentation, fingerprint, exchange);
    }

    public @NonNull FitOptions callbacks(@NonNull Callback... v) {
        List<Callback> all = new ArrayList<>(callbacks);
        all.addAll(List.of(v));
        return new FitOptions(epochs, batchSize, validationSplit, validationData, shuffle, seed, initialEpoch, all, augmentation, fingerprint, exchange);
    }

    /** Augments every training batch (images only); validation and test data are never augmented. */
    public @NonNull FitOptions augmentation(@NonNull Augmentation v) {
        return new FitOptions(epochs, batchSize, validationSplit, validationData, shuffle, seed, initialEpoch, callbacks, v, fingerprint, exchange);
    }

    /**
     * What this fit is (a run config's hash, say): checkpoints record it, and resuming from one made under another
     * fingerprint is refused instead of silently continuing some other training.
     */
    public @NonNull FitOptions fingerprint(@Nullable String v) {
        return new FitOptions(epochs, batchSize, validationSplit, validationData, shuffle, seed, initialEpoch, callbacks, augmentation, v, exchange);
    }

    /** Averages each step's gradients with other replicas' (data-parallel training; see {@link GradientExchange}). */
    public @NonNull FitOptions gradientExchange(@Nullable GradientExchange v) {
        return new FitOptions(epochs, batchSize, validationSplit, validationData, shuffle, seed, initialEpoch, callbacks, augmentation, fingerprint, v);
    }

    public @Nullable GradientExchange gradientExchange() {
        return exchange;
    }

    public @Nullable String fingerprint() {
        return fingerprint;
    }

    public @NonNull Augmentation augmentation() {
        return augmentation;
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    public double validationSplit() {
        return validationSplit;
    }

    public @Nullable Dataset validationData() {
        return validationData;
    }

    public boolean shuffle() {
        return shuffle;
    }

    public @Nullable Long seed() {
        return seed;
    }

    public int initialEpoch() {
        return initialEpoch;
    }

    public @NonNull List<Callback> callbacks() {
        return callbacks;
    }
}
