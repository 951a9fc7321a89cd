package dlkit.layers.merge;

import dlkit.ShapeException;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.Kernel;
import dlkit.layers.LayerCall;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Joins its inputs along one axis (Keras' Concatenate): {@code axis} counts the batch axis as 0, so the default −1 is
 * the last (channels, features) and 1 the first per-sample axis. The other axes must agree.
 */
public final class Concatenate extends AbstractLayer<Concatenate.Config, Concatenate.Builder, Concatenate> {
    public record Config(@Nullable String name, int axis) implements LayerConfig {
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public int axis = -1;

        public Builder() {
            super(Config.class);
        }
    }

    public static final LayerType<Config, Builder, Concatenate> TYPE = new LayerType<>("Concatenate", Builder::new, Set.of(),
            Concatenate::new);

    public Concatenate(@NonNull Config config) {
        super(TYPE, config);
    }

    /** Along the last axis. */
    public static @NonNull Concatenate of() {
        return of(-1);
    }

    public static @NonNull Concatenate of(int axis) {
        return new Concatenate(new Config(null, axis));
    }

    /** The per-sample axis (no batch) the inputs join along. */
    private int sampleAxis(int rank) {
        int a = config().axis();
        if (a == 0) {
            throw new ShapeException("axis 0 is the batch axis; Concatenate joins along a per-sample axis (1.." + rank + " or negative)");
        }
        int s = a > 0 ? a - 1 : rank + a;
        if (s < 0 || s >= rank) {
            throw new ShapeException("axis " + a + " does not exist for inputs of rank " + (rank + 1) + " (with the batch axis)");
        }
        return s;
    }

    @Override
    public Shape outputShape(Shape input) {
        throw new ShapeException("Concatenate joins at least two inputs; apply it to a list of tensors");
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        if (inputs.size() < 2) {
            throw new ShapeException("Concatenate takes at least 2 inputs, got " + inputs.size());
        }
        int rank = inputs.get(0).rank();
        for (Shape s : inputs) {
            if (s.rank() != rank) {
                throw new ShapeException("Concatenate needs inputs of one rank, got " + LayerCall.shapesWithBatch(inputs));
            }
        }
        int ax = sampleAxis(rank);
        int[] out = inputs.get(0).dims();
        int total = 0;
        for (Shape s : inputs) {
            for (int d = 0; d < rank; d++) {
                if (d != ax && s.dim(d) != out[d]) {
                    throw new ShapeException("Concatenate along axis " + config().axis() + " needs the other axes to agree, got "
                            + LayerCall.shapesWithBatch(inputs));
                }
            }
            total += s.dim(ax);
        }
        out[ax] = total;
        return Shape.of(out);
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        int k = ctx.inputCount();
        Shape outShape = ctx.outputShape();
        int ax = sampleAxis(outShape.rank());
        // Each sample is `outer` runs; a run holds every input's block of (its axis length × inner) elements in turn.
        int outer = 1;
        for (int d = 0; d < ax; d++) {
            outer *= outShape.dim(d);
        }
        int inner = 1;
        for (int d = ax + 1; d < outShape.rank(); d++) {
            inner *= outShape.dim(d);
        }
        int[] block = new int[k];
        int[] offset = new int[k];
        int run = 0;
        for (int i = 0; i < k; i++) {
            block[i] = ctx.inputShape(i).dim(ax) * inner;
            offset[i] = run;
            run += block[i];
        }
        int runLength = run;
        int runs = outer;
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (int i = 0; i < k; i++) {
                    Buf x = ctx.input(i);
                    int b = block[i];
                    for (int r = 0; r < n * runs; r++) {
                        y.copyFrom(x, r * b, r * runLength + offset[i], b);
                    }
                }
            }

            @Override
            public void backward(int n) {
                for (int i = 0; i < k; i++) {
                    @Nullable Buf dx = ctx.inputGrad(i);
                    if (dx == null) {
                        continue;
                    }
                    int b = block[i];
                    for (int r = 0; r < n * runs; r++) {
                        dx.copyFrom(dy, r * runLength + offset[i], r * b, b);
                    }
                }
            }
        };
    }
}
