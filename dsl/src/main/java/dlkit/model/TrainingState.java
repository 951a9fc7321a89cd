package dlkit.model;

import org.jspecify.annotations.NonNull;

/** What callbacks can see and steer during {@link Model#fit}. */
public final class TrainingState {
    private final Model model;
    private final int epochs;
    private final long stepsPerEpoch;
    private final int batchSize;
    private boolean stopTraining;

    TrainingState(Model model, int epochs, long stepsPerEpoch, int batchSize) {
        this.model = model;
        this.epochs = epochs;
        this.stepsPerEpoch = stepsPerEpoch;
        this.batchSize = batchSize;
    }

    public @NonNull Model model() {
        return model;
    }

    public int epochs() {
        return epochs;
    }

    /** Batches per epoch, or -1 for a streaming dataset of unknown size. */
    public long stepsPerEpoch() {
        return stepsPerEpoch;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Ends training after the current batch (EarlyStopping, TerminateOnNaN). */
    public void stopTraining() {
        stopTraining = true;
    }

    public boolean stopRequested() {
        return stopTraining;
    }

    public double learningRate() {
        return model.learningRate();
    }

    public void setLearningRate(double lr) {
        model.setLearningRate(lr);
    }
}
