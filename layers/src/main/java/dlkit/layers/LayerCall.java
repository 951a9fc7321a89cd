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

    private LayerCall(Layer layer, List<SymbolicTensor> inputs, Shape shape) {
        this.layer = layer;
        this.inputs = inputs;
        this.shape = shape;
    }

    static LayerCall of(Layer layer, List<? extends SymbolicTensor> inputs) {
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
        Shape out;
        try {
            out = layer.outputShape(shapes);
        } catch (ShapeException | IllegalArgumentException e) {
            throw new ShapeException(describe(layer) + " cannot take inputs shaped " + shapesWithBatch(shapes) + ": " + e.getMessage());
        }
        return new LayerCall(layer, in, out);
    }

    static String describe(Layer layer) {
        return layer.name() != null ? "layer '" + layer.name() + "' (" + layer.type() + ")" : "a " + layer.type() + " layer";
    }

    static String shapesWithBatch(List<Shape> shapes) {
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
        return "<" + (layer.name() != null ? layer.name() : layer.type()) + " output " + shape.withBatch() + ">";
    }
}
