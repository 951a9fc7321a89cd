package dlkit.layers;

import dlkit.ShapeException;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.NonNull;

/**
 * The symbolic output of one application of a layer: {@code Dense.of(10).apply(x)}. Applying the same layer object
 * again makes another call on the same weights (a shared layer); a model is the graph of calls between its inputs
 * and outputs.
 */
public final class LayerCall implements SymbolicTensor {
    private final Layer layer;
    private final List<SymbolicTensor> inputs;
    private final Shape shape;
    private final Call call;
    private final int index;

    /** One application of a layer; each of its outputs is a LayerCall pointing here. */
    static final class Call {
        final List<Shape> shapes;

        Call(List<Shape> shapes) {
            this.shapes = shapes;
        }
    }

    private LayerCall(Layer layer, List<SymbolicTensor> inputs, Shape shape, Call call, int index) {
        this.layer = layer;
        this.inputs = inputs;
        this.shape = shape;
        this.call = call;
        this.index = index;
    }

    /** The only output of a call; a layer with several outputs (an RNN with return_state) needs {@link #all}. */
    static LayerCall of(Layer layer, List<? extends SymbolicTensor> inputs) {
        List<LayerCall> outs = all(layer, inputs);
        if (outs.size() != 1) {
            throw new ShapeException(describe(layer) + " has " + outs.size() + " outputs (return_state adds the final states):"
                    + " use applyAll(...) to get all of them");
        }
        return outs.get(0);
    }

    static List<LayerCall> all(Layer layer, List<? extends SymbolicTensor> inputs) {
        if (layer instanceof Input) {
            throw new ShapeException("an Input is where a graph starts and cannot be applied to tensors");
        }
        if (inputs.isEmpty()) {
            throw new ShapeException(describe(layer) + " was applied to no inputs");
        }
        List<SymbolicTensor> in = List.copyOf(inputs);
        List<Shape> shapes = new ArrayList<>();
        for (SymbolicTensor t : in) {
            shapes.add(t.shape());
        }
        List<Shape> out;
        try {
            out = List.copyOf(layer.outputShapes(shapes));
        } catch (ShapeException | IllegalArgumentException e) {
            throw new ShapeException(describe(layer) + " cannot take inputs shaped " + shapesWithBatch(shapes) + ": " + e.getMessage());
        }
        Call call = new Call(out);
        List<LayerCall> result = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            result.add(new LayerCall(layer, in, out.get(i), call, i));
        }
        return List.copyOf(result);
    }

    /** Identifies the call this tensor came from: the outputs of one call share it. */
    public @NonNull Object call() {
        return call;
    }

    /** Which output of its call this tensor is (0 unless the layer has several). */
    public int index() {
        return index;
    }

    /** The shapes of all outputs of this tensor's call. */
    public @NonNull List<Shape> callShapes() {
        return call.shapes;
    }

    static String describe(Layer layer) {
        return layer.name() != null ? "layer '" + layer.name() + "' (" + layer.type() + ")" : "a " + layer.type() + " layer";
    }

    public static String shapesWithBatch(List<Shape> shapes) {
        StringBuilder sb = new StringBuilder();
        for (Shape s : shapes) {
            sb.append(sb.length() == 0 ? "" : " and ").append(s.withBatch());
        }
        return sb.toString();
    }

    public @NonNull Layer layer() {
        return layer;
    }

    public @NonNull List<SymbolicTensor> inputs() {
        return inputs;
    }

    @Override
    public @NonNull Shape shape() {
        return shape;
    }

    @Override
    public String toString() {
        return "<" + (layer.name() != null ? layer.name() : layer.type()) + " output " + (index > 0 ? index + " " : "") + shape.withBatch() + ">";
    }
}
