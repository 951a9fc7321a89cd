package dlkit.model;

import dlkit.DlkitException;
import dlkit.ResourceException;
import dlkit.layers.Layer;
import dlkit.layers.ParamSpec;
import dlkit.layers.preprocessing.Preprocessing;
import dlkit.tensor.Buf;
import dlkit.tensor.DType;
import dlkit.tensor.Memory;
import dlkit.tensor.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * All weights of a model in one flat off-heap array (and their gradients in another) so that plans for any batch
 * size share them and the optimizer updates them in one pass. Names are {@code layer.param}, e.g. {@code dense.kernel}.
 * Trainable weights come first ({@link #count} of them, the optimizer's range); then those of frozen layers, which
 * get gradients (up to {@link #gradCount}) that nothing applies; then non-trainable ones (moving statistics), up to
 * {@link #total}, with no gradient slot.
 */
final class Weights {
    record Slot(String key, int layer, ParamSpec spec, int offset) {}

    /**
     * Layer {@code i}'s position for random streams (weight initialisation, dropout): its index, not counting
     * preprocessing layers before it, so moving the input pipeline into a model leaves its random numbers as they were.
     */
    static int stream(List<Layer> layers, int i) {
        int s = i;
        for (int j = 0; j < i; j++) {
            if (layers.get(j) instanceof Preprocessing) {
                s--;
            }
        }
        return s;
    }

    final DType dtype;
    final List<Slot> slots = new ArrayList<>();
    final int count;
    final int gradCount;
    final int total;
    final INDArray params;
    final INDArray grads;
    final Buf paramBuf;
    final Buf gradBuf;
    private final Map<String, Slot> byKey = new LinkedHashMap<>();
    /** Each layer's {@link #stream} position. */
    final int[] streams;
    /** Per layer: frozen (its weights not trained). */
    final boolean[] frozen;

    /** {@code inputShapes.get(i)}: what layer i's weights are built for; null for Inputs; {@code frozen[i]}: not trained. */
    Weights(List<Layer> layers, List<Shape> inputShapes, DType dtype, boolean[] frozen) {
        this.dtype = dtype;
        this.frozen = frozen.clone();
        this.streams = new int[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            streams[i] = stream(layers, i);
        }
        long offset = 0;
        long trainableCount = 0;
        long gradientCount = 0;
        long[] perLayer = new long[layers.size()];
        // group 0: trained; 1: trainable weights of frozen layers; 2: non-trainable
        for (int group = 0; group < 3; group++) {
            for (int i = 0; i < layers.size(); i++) {
                if (inputShapes.get(i) == null) {
                    continue;
                }
                for (ParamSpec spec : layers.get(i).params(inputShapes.get(i))) {
                    int g = !spec.trainable() ? 2 : frozen[i] ? 1 : 0;
                    if (g != group) {
                        continue;
                    }
                    long n = spec.elements();
                    perLayer[i] = n < 0 || perLayer[i] < 0 ? -1 : perLayer[i] + n;
                    if (n < 0 || n > MAX_ELEMENTS || offset + n > MAX_ELEMENTS) {
                        throw tooLarge(layers, perLayer, i, dtype, "more than 2^31 weights in all; dlkit holds a model's weights in one array"
                                + " of at most " + String.format("%,d", MAX_ELEMENTS));
                    }
                    Slot s = new Slot(layers.get(i).name() + "." + spec.name(), i, spec, (int) offset);
                    slots.add(s);
                    byKey.put(s.key(), s);
                    offset += n;
                }
            }
            if (group == 0) {
                trainableCount = offset;
            } else if (group == 1) {
                gradientCount = offset;
            }
        }
        this.count = (int) trainableCount;
        this.gradCount = (int) gradientCount;
        this.total = (int) offset;
        long bytes = (offset + gradientCount) * dtype.bytes();
        if (bytes > Memory.offHeapAvailable()) {
            int largest = 0;
            for (int i = 1; i < perLayer.length; i++) {
                largest = perLayer[i] > perLayer[largest] ? i : largest;
            }
            try {
                Memory.requireOffHeap(bytes, "the model's " + String.format("%,d", offset) + " weights and their gradients");
            } catch (ResourceException e) {
                throw tooLarge(layers, perLayer, largest, dtype, e.getMessage());
            }
        }
        this.params = Nd4j.zeros(dtype.nd4j(), Math.max(1, total));
        this.grads = Nd4j.zeros(dtype.nd4j(), Math.max(1, gradCount));
        this.paramBuf = Buf.wrap(params, 0, total);
        this.gradBuf = Buf.wrap(grads, 0, gradCount);
    }

    /** One flat, int-indexed array holds them all (a little below 2^31: JVM arrays of the optimizer's copy). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Names the layer with the most weights, where a config reader can point. */
    private static ResourceException tooLarge(List<Layer> layers, long[] perLayer, int i, DType dtype, String why) {
        Layer l = layers.get(i);
        String count = perLayer[i] < 0 ? "more than 2^63" : String.format("%,d", perLayer[i]);
        long bytes = Memory.product(perLayer[i], dtype.bytes());
        return new ResourceException("layer '" + l.name() + "' (" + l.type() + ") has " + count + " weights (" + Memory.format(bytes) + "): " + why,
                l.name(), i);
    }

    Slot slot(int layer, String name) {
        for (Slot s : slots) {
            if (s.layer() == layer && s.spec().name().equals(name)) {
                return s;
            }
        }
        throw new IllegalStateException("layer " + layer + " has no parameter " + name);
    }

    Buf param(int layer, String name) {
        Slot s = slot(layer, name);
        return paramBuf.slice(s.offset(), s.spec().size());
    }

    Buf grad(int layer, String name) {
        Slot s = slot(layer, name);
        if (!s.spec().trainable()) {
            throw new IllegalStateException(s.key() + " is not trainable and has no gradient");
        }
        return gradBuf.slice(s.offset(), s.spec().size());
    }

    /** Each weight draws from its own stream, fixed by the seed and its position, so adding a layer leaves the others alone. */
    void initialize(long seed) {
        int idx = 0;
        for (Slot s : slots) {
            double[] v = new double[s.spec().size()];
            s.spec().initializer().fill(v, s.spec().shape(), new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 31L * streams[s.layer()] + idx++));
            paramBuf.put(s.offset(), v, 0, v.length);
        }
    }

    Map<String, INDArray> toMap() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (Slot s : slots) {
            long[] shape = Arrays.stream(s.spec().shape()).asLongStream().toArray();
            m.put(s.key(), params.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s.offset(), s.offset() + s.spec().size())).dup().reshape('c', shape));
        }
        return m;
    }

    /** Copies of the gradients of the trained weights (not frozen layers') by name, shaped as the weights. */
    Map<String, INDArray> gradientMap() {
        Map<String, INDArray> m = new LinkedHashMap<>();
        for (Slot s : slots) {
            if (s.spec().trainable() && !frozen[s.layer()]) {
                long[] shape = Arrays.stream(s.spec().shape()).asLongStream().toArray();
                m.put(s.key(), grads.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s.offset(), s.offset() + s.spec().size())).dup().reshape('c', shape));
            }
        }
        return m;
    }

    void set(Map<String, INDArray> values, String source) {
        for (Slot s : slots) {
            INDArray v = values.get(s.key());
            if (v == null) {
                throw new DlkitException(source + ": missing weight \"" + s.key() + "\" (shape " + Arrays.toString(s.spec().shape()) + ")");
            }
            long[] expected = Arrays.stream(s.spec().shape()).asLongStream().toArray();
            if (!Arrays.equals(v.shape(), expected)) {
                throw new DlkitException(source + ": weight \"" + s.key() + "\" has shape " + Arrays.toString(v.shape())
                        + " but layer '" + s.key().substring(0, s.key().lastIndexOf('.')) + "' needs " + Arrays.toString(expected));
            }
        }
        for (String k : values.keySet()) {
            if (!byKey.containsKey(k)) {
                throw new DlkitException(source + ": unexpected weight \"" + k + "\"; the model has " + byKey.keySet());
            }
        }
        for (Slot s : slots) {
            INDArray v = values.get(s.key()).castTo(dtype.nd4j()).dup('c').reshape(s.spec().size());
            params.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(s.offset(), s.offset() + s.spec().size())).assign(v);
        }
    }
}
