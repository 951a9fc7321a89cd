package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Long short-term memory (Hochreiter and Schmidhuber 1997) with Keras' gate order {@code [i, f, c, o]}.
 * Input {@code [steps, features]}; output {@code [units]}, or {@code [steps, units]} with {@code return_sequences}.
 * Weights {@code kernel [features, 4·units]}, {@code recurrent_kernel [units, 4·units]}, {@code bias [4·units]}. Forward and backpropagation through time run in {@link RecurrentKernel}.
 */
public final class LSTM implements Layer {
    public record Config(
            @Nullable String name,
            int units,
            @NonNull Activation activation,
            @NonNull Activation recurrentActivation,
            boolean useBias,
            @NonNull Initializer kernelInitializer,
            @NonNull Initializer recurrentInitializer,
            @NonNull Initializer biasInitializer,
            boolean unitForgetBias,
            @Nullable Regularizer kernelRegularizer,
            @Nullable Regularizer recurrentRegularizer,
            @Nullable Regularizer biasRegularizer,
            double dropout,
            double recurrentDropout,
            boolean returnSequences,
            boolean returnState,
            boolean goBackwards,
            boolean stateful,
            boolean unroll) {
        public Config {
            if (units <= 0) {
                throw new IllegalArgumentException("units: expected a positive integer, got " + units);
            }
            if (activation == null || activation == Activation.SOFTMAX) {
                throw new IllegalArgumentException("activation: expected an element-wise activation such as \"tanh\", got " + activation);
            }
            if (recurrentActivation == null || recurrentActivation == Activation.SOFTMAX) {
                throw new IllegalArgumentException("recurrent_activation: expected an element-wise activation, got " + recurrentActivation);
            }
            if (!(dropout >= 0 && dropout < 1) || !(recurrentDropout >= 0 && recurrentDropout < 1)) {
                throw new IllegalArgumentException("dropout and recurrent_dropout: expected rates in [0, 1), got " + dropout + " and " + recurrentDropout);
            }
            Objects.requireNonNull(kernelInitializer, "kernel_initializer");
            Objects.requireNonNull(recurrentInitializer, "recurrent_initializer");
            Objects.requireNonNull(biasInitializer, "bias_initializer");
        }
    }

    static final LayerRegistry.Entry<Config> ENTRY = new LayerRegistry.Entry<>(
            "LSTM", Config.class, defaults(1), Set.of("units"), LSTM::new);

    private final Config config;

    public LSTM(@NonNull Config config) {
        this.config = config;
    }

    /** Keras defaults: tanh, sigmoid gates, bias, Glorot-uniform kernel, orthogonal recurrent kernel, last output only. */
    public static @NonNull LSTM of(int units) {
        return new LSTM(defaults(units));
    }

    private static Config defaults(int units) {
        return new Config(null, units, Activation.TANH, Activation.SIGMOID, true, Initializer.GLOROT_UNIFORM, Initializer.ORTHOGONAL, Initializer.ZEROS,
                true, null, null, null, 0, 0, false, false, false, false, false);
    }

    private LSTM set(String component, Object value) {
        return new LSTM(RecordCopy.with(config, component, value));
    }

    /**
     * Also output the final state ({@code h}, and {@code c} for an LSTM) as extra tensors: {@code applyAll(x)} gives
     * [output, h(, c)] in a functional model. Initial states come in as extra inputs: {@code applyAll(x, h0(, c0))}.
     */
    public @NonNull LSTM returnState(boolean on) {
        return set("returnState", on);
    }

    public @NonNull LSTM returnSequences(boolean on) {
        return set("returnSequences", on);
    }

    /**
     * Keeps each sample slot's final state as the next batch's initial state (Keras' stateful): sample i of every
     * batch continues sample i of the previous one. Needs a fixed batch size; {@code model.resetStates()} starts over.
     */
    public @NonNull LSTM stateful(boolean on) {
        return set("stateful", on);
    }

    public @NonNull LSTM goBackwards(boolean on) {
        return set("goBackwards", on);
    }

    public @NonNull LSTM activation(@NonNull Activation activation) {
        return set("activation", activation);
    }

    public @NonNull LSTM useBias(boolean on) {
        return set("useBias", on);
    }

    public @NonNull LSTM dropout(double rate) {
        return set("dropout", rate);
    }

    public @NonNull LSTM recurrentDropout(double rate) {
        return set("recurrentDropout", rate);
    }

    public @NonNull LSTM kernelRegularizer(@Nullable Regularizer reg) {
        return set("kernelRegularizer", reg);
    }

    public @NonNull LSTM recurrentRegularizer(@Nullable Regularizer reg) {
        return set("recurrentRegularizer", reg);
    }

    @Override
    public LSTM named(String name) {
        return set("name", name);
    }

    @Override
    public String type() {
        return "LSTM";
    }

    @Override
    public @Nullable String name() {
        return config.name();
    }

    @Override
    public MaskRule maskRule() {
        return config.returnSequences() ? MaskRule.PASS : MaskRule.DROP;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public Shape outputShape(Shape input) {
        if (config.returnState()) {
            throw new ShapeException(RecurrentKernel.returnStateMessage(type(), name(), 2));
        }
        return sequenceOutput(input);
    }

    @Override
    public List<Shape> outputShapes(List<Shape> inputs) {
        return RecurrentKernel.outputShapes(type(), name(), config.units(), 2, config.returnState(), config.stateful(), inputs,
                sequenceOutput(inputs.get(0)));
    }

    private Shape sequenceOutput(Shape input) {
        if (input.rank() != 2) {
            throw new ShapeException("LSTM '" + name() + "' expects samples shaped [steps, features], got " + input
                    + (input.rank() == 1 ? "; add a feature axis with Reshape (e.g. [steps, 1]) or use Embedding for token ids" : "")
                    + (input.rank() == 3 ? "; for images, Reshape [rows, columns, 1] to [rows, columns] to read rows as steps" : ""));
        }
        return config.returnSequences() ? Shape.of(input.dim(0), config.units()) : Shape.of(config.units());
    }

    @Override
    public List<ParamSpec> params(Shape input) {
        int g = 4 * config.units();
        List<ParamSpec> p = new ArrayList<>();
        p.add(new ParamSpec("kernel", new int[] {input.dim(1), g}, config.kernelInitializer(), config.kernelRegularizer()));
        p.add(new ParamSpec("recurrent_kernel", new int[] {config.units(), g}, config.recurrentInitializer(), config.recurrentRegularizer()));
        if (config.useBias()) {
            p.add(new ParamSpec("bias", new int[] {g}, config.unitForgetBias() ? new Initializer.UnitForgetBias(config.biasInitializer(), config.units()) : config.biasInitializer(), config.biasRegularizer()));
        }
        return p;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return new RecurrentKernel(ctx, new RecurrentKernel.Spec(RecurrentKernel.Cell.LSTM, config.units(), config.activation(),
                config.recurrentActivation(), config.useBias(), config.dropout(), config.recurrentDropout(), config.returnSequences(), config.goBackwards(), config.stateful(),
                config.kernelRegularizer(), config.recurrentRegularizer(), config.biasRegularizer()));
    }
}
