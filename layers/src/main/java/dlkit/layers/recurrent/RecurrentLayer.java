package dlkit.layers.recurrent;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.Activation;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Initializer;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.MaskRule;
import dlkit.layers.ParamSpec;
import dlkit.layers.Regularizer;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * What SimpleRNN, LSTM and GRU share: Keras' recurrent settings and their checks, the fluent setters, the shape rules
 * (input {@code [steps, features]}; output {@code [units]}, or {@code [steps, units]} with {@code return_sequences};
 * with {@code return_state} the final states too; initial states as extra inputs), the weights {@code kernel
 * [features, gates·units]}, {@code recurrent_kernel [units, gates·units]}, {@code bias}, and the kernel
 * ({@link RecurrentKernel}) that runs the forward pass and backpropagation through time.
 */
public abstract sealed class RecurrentLayer<C extends Record & RecurrentLayer.Options & LayerConfig, B extends RecurrentLayer.Builder<C>,
        L extends Layer> extends AbstractLayer<C, B, L> permits SimpleRNN, LSTM, GRU {
    /** The settings every recurrent config has, as record components of the same names. */
    public interface Options {
        @Nullable String name();

        int units();

        @NonNull Activation activation();

        /** The gates' activation; a SimpleRNN has no gates. */
        default @NonNull Activation recurrentActivation() {
            return Activation.LINEAR;
        }

        boolean useBias();

        @NonNull Initializer kernelInitializer();

        @NonNull Initializer recurrentInitializer();

        @NonNull Initializer biasInitializer();

        @Nullable Regularizer kernelRegularizer();

        @Nullable Regularizer recurrentRegularizer();

        @Nullable Regularizer biasRegularizer();

        double dropout();

        double recurrentDropout();

        boolean returnSequences();

        boolean returnState();

        boolean goBackwards();

        boolean stateful();

        boolean unroll();
    }

    /** Keras defaults: tanh, bias, Glorot-uniform kernel, orthogonal recurrent kernel, last output only. */
    public abstract static class Builder<C extends Record & Options & LayerConfig> extends ConfigBuilder<C> {
        public int units = 1;
        public Activation activation = Activation.TANH;
        public boolean useBias = true;
        public Initializer kernelInitializer = Initializer.GLOROT_UNIFORM;
        public Initializer recurrentInitializer = Initializer.ORTHOGONAL;
        public Initializer biasInitializer = Initializer.ZEROS;
        public @Nullable Regularizer kernelRegularizer;
        public @Nullable Regularizer recurrentRegularizer;
        public @Nullable Regularizer biasRegularizer;
        public double dropout;
        public double recurrentDropout;
        public boolean returnSequences;
        public boolean returnState;
        public boolean goBackwards;
        public boolean stateful;
        public boolean unroll;

        protected Builder(Class<C> type) {
            super(type);
        }
    }

    /** The checks every recurrent config runs; {@code gated} cells (LSTM, GRU) have a recurrent activation too. */
    static void check(int units, Activation activation, boolean gated, @Nullable Activation recurrentActivation, double dropout,
                      double recurrentDropout, Initializer kernelInitializer, Initializer recurrentInitializer, Initializer biasInitializer) {
        if (units <= 0) {
            throw new IllegalArgumentException("units: expected a positive integer, got " + units);
        }
        if (activation == null || activation == Activation.SOFTMAX) {
            throw new IllegalArgumentException("activation: expected an element-wise activation such as \"tanh\", got " + activation);
        }
        if (gated && (recurrentActivation == null || recurrentActivation == Activation.SOFTMAX)) {
            throw new IllegalArgumentException("recurrent_activation: expected an element-wise activation, got " + recurrentActivation);
        }
        if (!(dropout >= 0 && dropout < 1) || !(recurrentDropout >= 0 && recurrentDropout < 1)) {
            throw new IllegalArgumentException("dropout and recurrent_dropout: expected rates in [0, 1), got " + dropout + " and " + recurrentDropout);
        }
        Objects.requireNonNull(kernelInitializer, "kernel_initializer");
        Objects.requireNonNull(recurrentInitializer, "recurrent_initializer");
        Objects.requireNonNull(biasInitializer, "bias_initializer");
    }

    private final RecurrentKernel.Cell cell;

    RecurrentLayer(LayerType<C, B, L> type, C config, RecurrentKernel.Cell cell) {
        super(type, config);
        this.cell = cell;
    }

    /**
     * Also output the final state ({@code h}, and {@code c} for an LSTM) as extra tensors: {@code applyAll(x)} gives
     * [output, h(, c)] in a functional model. Initial states come in as extra inputs: {@code applyAll(x, h0(, c0))}.
     */
    public @NonNull L returnState(boolean on) {
        return change(b -> b.returnState = on);
    }

    public @NonNull L returnSequences(boolean on) {
        return change(b -> b.returnSequences = on);
    }

    /**
     * Keeps each sample slot's final state as the next batch's initial state (Keras' stateful): sample i of every
     * batch continues sample i of the previous one. Needs a fixed batch size; {@code model.resetStates()} starts over.
     */
    public @NonNull L stateful(boolean on) {
        return change(b -> b.stateful = on);
    }

    public @NonNull L goBackwards(boolean on) {
        return change(b -> b.goBackwards = on);
    }

    public @NonNull L activation(@NonNull Activation activation) {
        return change(b -> b.activation = activation);
    }

    public @NonNull L useBias(boolean on) {
        return change(b -> b.useBias = on);
    }

    public @NonNull L dropout(double rate) {
        return change(b -> b.dropout = rate);
    }

    public @NonNull L recurrentDropout(double rate) {
        return change(b -> b.recurrentDropout = rate);
    }

    public @NonNull L kernelRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.kernelRegularizer = reg);
    }

    public @NonNull L recurrentRegularizer(@Nullable Regularizer reg) {
        return change(b -> b.recurrentRegularizer = reg);
    }

    /** How many states the cell carries: h, and c for an LSTM. */
    final int states() {
        return cell == RecurrentKernel.Cell.LSTM ? 2 : 1;
    }

    /** The input and recurrent products of every step: {@code 2·steps·(features + units)·gates·units}. */
    @Override
    public long forwardFlops(Shape input) {
        long units = config().units();
        return 2L * input.dim(0) * (input.last() + units) * cell.gates * units;
    }

    @Override
    public MaskRule maskRule() {
        return config().returnSequences() ? MaskRule.PASS : MaskRule.DROP;
    }

    @Override
    public Shape outputShape(Shape input) {
        if (config().returnState()) {
            throw new ShapeException(type() + " '" + name() + "' has return_state on: each call gives " + (1 + states())
                    + " tensors (the output, then the final " + (states() == 2 ? "h and c" : "state h")
                    + "), which only a functional model can take: outputs = layer.applyAll(x)");
        }
        return sequenceOutput(input);
    }

    /**
     * The outputs of a call on {@code inputs} (the sequence, optionally followed by its initial state(s), {@code
     * [units]} each): the output and, with return_state, the final state(s).
     */
    @Override
    public List<Shape> outputShapes(List<Shape> inputs) {
        C c = config();
        String which = states() == 2 ? "h and c" : "h";
        if (inputs.size() != 1 && inputs.size() != 1 + states()) {
            throw new ShapeException(type() + " '" + name() + "' takes the sequence and optionally its initial state (" + which + "): 1 or "
                    + (1 + states()) + " inputs, got " + inputs.size());
        }
        Shape state = Shape.of(c.units());
        for (int i = 1; i < inputs.size(); i++) {
            if (!inputs.get(i).equals(state)) {
                throw new ShapeException(type() + " '" + name() + "': initial state " + (i == 1 ? "h" : "c") + " must be shaped "
                        + state.withBatch() + " (units), got " + inputs.get(i).withBatch());
            }
        }
        if (c.stateful() && inputs.size() > 1) {
            throw new ShapeException(type() + " '" + name() + "' is stateful: it carries its own state from batch to batch and takes no initial state input");
        }
        List<Shape> out = new ArrayList<>();
        out.add(sequenceOutput(inputs.get(0)));
        for (int i = 0; c.returnState() && i < states(); i++) {
            out.add(state);
        }
        return out;
    }

    private Shape sequenceOutput(Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException(type() + " '" + name() + "' expects samples shaped [steps, features], got " + input
                    + (input.rank() == 1 ? "; add a feature axis with Reshape (e.g. [steps, 1]) or use Embedding for token ids" : "")
                    + (input.rank() == 3 ? "; for images, Reshape [rows, columns, 1] to [rows, columns] to read rows as steps" : ""));
        }
        return config().returnSequences() ? Shape.of(input.dim(0), config().units()) : Shape.of(config().units());
    }

    /** The bias: {@code [gates·units]}, initialised by {@code bias_initializer} (each cell may say otherwise). */
    ParamSpec bias(int gates) {
        C c = config();
        return new ParamSpec("bias", new int[] {gates}, c.biasInitializer(), c.biasRegularizer());
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        C c = config();
        int g = cell.gates * c.units();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {input.dim(1), g}, c.kernelInitializer(), c.kernelRegularizer()));
        p.add(new ParamSpec("recurrent_kernel", new int[] {c.units(), g}, c.recurrentInitializer(), c.recurrentRegularizer()));
        if (c.useBias()) {
            p.add(bias(g));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return new RecurrentKernel(ctx, cell, config());
    }
}
