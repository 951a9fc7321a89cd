package dlkit.tensor;

import java.util.HashMap;
import java.util.Map;
import java.util.function.IntFunction;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A libnd4j custom op bound once to planned buffers and re-run through a pre-built op context (~1 µs per call;
 * re-running a reused op object through {@code Nd4j.exec(op)} crashes in 1.0.0-M2.1, the context route does not).
 * One context per batch size, since the op sees INDArray views of the first n rows.
 */
public final class NativeOp {
    /** The arrays one call reads and writes, for a batch of n rows. */
    public record Binding(INDArray @NonNull [] inputs, INDArray @NonNull [] outputs) {}

    private final DynamicCustomOp op;
    private final long[] iArgs;
    private final IntFunction<Binding> bind;
    private final Map<Integer, OpContext> contexts = new HashMap<>();

    public NativeOp(@NonNull String name, long @NonNull [] iArgs, @NonNull IntFunction<Binding> bind) {
        this.op = DynamicCustomOp.builder(name).build();
        this.iArgs = iArgs.clone();
        this.bind = bind;
    }

    public void run(int n) {
        OpContext ctx = contexts.computeIfAbsent(n, k -> {
            OpContext c = Nd4j.getExecutioner().buildContext();
            c.setIArguments(iArgs);
            Binding b = bind.apply(k);
            c.setInputArrays(b.inputs());
            c.setOutputArrays(b.outputs());
            return c;
        });
        Nd4j.getExecutioner().exec(op, ctx);
    }
}
