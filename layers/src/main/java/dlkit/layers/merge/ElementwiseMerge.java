package dlkit.layers.merge;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.Kernel;
import dlkit.layers.Layer;
import dlkit.layers.LayerCall;
import dlkit.layers.LayerType;
import dlkit.layers.NameConfig;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The shared shape rule and kernel of Add, Subtract, Multiply, Average and Maximum: inputs of one shape combined
 * element by element. Arithmetic runs on heap copies (bulk-copied in and out), which the JIT vectorises.
 */
public abstract sealed class ElementwiseMerge<L extends Layer> extends AbstractLayer<NameConfig, NameConfig.Builder, L>
        permits Add, Subtract, Multiply, Average, Maximum {
    enum Op { ADD, SUBTRACT, MULTIPLY, AVERAGE, MAXIMUM }

    private final Op op;

    ElementwiseMerge(LayerType<NameConfig, NameConfig.Builder, L> type, NameConfig config, Op op) {
        super(type, config);
        this.op = op;
    }

    @Override
    public Shape outputShape(Shape input) {
        throw new ShapeException(type() + " merges at least two inputs; apply it to a list of tensors");
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        int arity = op == Op.SUBTRACT ? 2 : -1;
        if (arity > 0 ? inputs.size() != arity : inputs.size() < 2) {
            throw new ShapeException(type() + " takes " + (arity > 0 ? "exactly 2" : "at least 2") + " inputs, got " + inputs.size());
        }
        Shape first = inputs.get(0);
        for (Shape s : inputs) {
            if (!s.equals(first)) {
                throw new ShapeException(type() + " needs inputs of one shape, got " + LayerCall.shapesWithBatch(inputs));
            }
        }
        return first;
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int k = ctx.inputCount();
        int width = ctx.outputShape().size();
        int cap = ctx.maxBatch() * width;
        double[][] x = new double[k][cap];
        double[] y = new double[cap];
        double[] t = op == Op.ADD ? new double[0] : new double[cap];
        Buf out = ctx.output();
        Buf dOut = ctx.outputGrad();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                int len = n * width;
                for (int i = 0; i < k; i++) {
                    ctx.input(i).get(0, x[i], 0, len);
                }
                System.arraycopy(x[0], 0, y, 0, len);
                for (int i = 1; i < k; i++) {
                    double[] xi = x[i];
                    switch (op) {
                        case ADD, AVERAGE -> {
                            for (int j = 0; j < len; j++) {
                                y[j] += xi[j];
                            }
                        }
                        case SUBTRACT -> {
                            for (int j = 0; j < len; j++) {
                                y[j] -= xi[j];
                            }
                        }
                        case MULTIPLY -> {
                            for (int j = 0; j < len; j++) {
                                y[j] *= xi[j];
                            }
                        }
                        case MAXIMUM -> {
                            for (int j = 0; j < len; j++) {
                                y[j] = Math.max(y[j], xi[j]);
                            }
                        }
                    }
                }
                if (op == Op.AVERAGE) {
                    double s = 1.0 / k;
                    for (int j = 0; j < len; j++) {
                        y[j] *= s;
                    }
                }
                out.put(0, y, 0, len);
            }

            @Override
            public void backward(int n) {
                int len = n * width;
                double[] dy = y; // the forward result is no longer needed
                dOut.get(0, dy, 0, len);
                for (int i = 0; i < k; i++) {
                    @Nullable Buf dx = ctx.inputGrad(i);
                    if (dx == null) {
                        continue;
                    }
                    switch (op) {
                        case ADD -> dx.put(0, dy, 0, len);
                        case SUBTRACT -> {
                            if (i == 0) {
                                dx.put(0, dy, 0, len);
                            } else {
                                for (int j = 0; j < len; j++) {
                                    t[j] = -dy[j];
                                }
                                dx.put(0, t, 0, len);
                            }
                        }
                        case AVERAGE -> {
                            double s = 1.0 / k;
                            for (int j = 0; j < len; j++) {
                                t[j] = dy[j] * s;
                            }
                            dx.put(0, t, 0, len);
                        }
                        case MULTIPLY -> {
                            System.arraycopy(dy, 0, t, 0, len);
                            for (int o = 0; o < k; o++) {
                                if (o != i) {
                                    double[] xo = x[o];
                                    for (int j = 0; j < len; j++) {
                                        t[j] *= xo[j];
                                    }
                                }
                            }
                            dx.put(0, t, 0, len);
                        }
                        case MAXIMUM -> {
                            // The gradient goes to the first input holding the maximum, as an argmax would pick.
                            for (int j = 0; j < len; j++) {
                                int arg = 0;
                                double best = x[0][j];
                                for (int o = 1; o < k; o++) {
                                    if (x[o][j] > best) {
                                        best = x[o][j];
                                        arg = o;
                                    }
                                }
                                t[j] = arg == i ? dy[j] : 0;
                            }
                            dx.put(0, t, 0, len);
                        }
                    }
                }
            }

        };
    }
}
