package dlkit.tensor;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A slice of an off-heap ND4J array that compiled kernels read and write. Kernels are written once against
 * {@link #get}/{@link #set}; in a float32 run only {@link F32} is loaded, so the calls inline to plain buffer access.
 * All buffers of a plan are created at compile time, never during a step.
 */
public abstract sealed class Buf permits Buf.F32, Buf.F64 {
    protected final INDArray arena;
    protected final int offset;
    protected final int length;

    private Buf(INDArray arena, int offset, int length) {
        if (offset < 0 || length < 0 || (long) offset + length > arena.length()) {
            throw new IllegalArgumentException("slice [" + offset + ", " + (offset + length) + ") outside arena of " + arena.length());
        }
        this.arena = arena;
        this.offset = offset;
        this.length = length;
    }

    /** A new zeroed buffer of its own. */
    public static @NonNull Buf allocate(@NonNull DType dtype, int length) {
        if (length < 0) {
            throw new dlkit.ResourceException("a buffer size overflowed (" + length + "): the model or batch is too large");
        }
        Memory.requireOffHeap((long) length * dtype.bytes(), "a buffer of " + String.format("%,d", length) + " values");
        return wrap(Nd4j.zeros(dtype.nd4j(), Math.max(1, length)), 0, length);
    }

    /** A view of {@code arena} (a contiguous c-order array) from {@code offset}, {@code length} elements long. */
    public static @NonNull Buf wrap(@NonNull INDArray arena, int offset, int length) {
        return switch (arena.dataType()) {
            case FLOAT -> new F32(arena, offset, length);
            case DOUBLE -> new F64(arena, offset, length);
            default -> throw new IllegalArgumentException("unsupported buffer type " + arena.dataType());
        };
    }

    public abstract double get(int i);

    public abstract void set(int i, double v);

    public abstract void add(int i, double v);

    public abstract @NonNull DType dtype();

    /** A native pointer to element 0 for BLAS. */
    public abstract @NonNull Pointer pointer();

    public int length() {
        return length;
    }

    public @NonNull Buf slice(int from, int len) {
        if (from < 0 || len < 0 || from + len > length) {
            throw new IllegalArgumentException("slice [" + from + ", " + (from + len) + ") outside buffer of " + length);
        }
        return wrap(arena, offset + from, len);
    }

    /** An ND4J view of the first {@code prod(shape)} elements (shares memory). */
    public @NonNull INDArray view(long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        INDArray flat = arena.reshape(arena.length()).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(offset, offset + n));
        return flat.reshape('c', shape);
    }

    public void fill(double v, int n) {
        for (int i = 0; i < n; i++) {
            set(i, v);
        }
    }

    /** Copies {@code n} elements of {@code src} (same dtype) starting at {@code srcFrom} to this buffer at {@code dstFrom}. */
    public abstract void copyFrom(@NonNull Buf src, int srcFrom, int dstFrom, int n);

    /** Bulk copies to and from heap arrays (memcpy-speed); the float forms convert for float64 buffers. */
    public abstract void put(int dstFrom, float @NonNull [] src, int srcFrom, int n);

    public abstract void get(int srcFrom, float @NonNull [] dst, int dstFrom, int n);

    public abstract void put(int dstFrom, double @NonNull [] src, int srcFrom, int n);

    public abstract void get(int srcFrom, double @NonNull [] dst, int dstFrom, int n);

    public static final class F32 extends Buf {
        private final FloatBuffer fb;
        private final FloatPointer ptr;

        F32(INDArray arena, int offset, int length) {
            super(arena, offset, length);
            FloatBuffer all = arena.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            this.fb = all.position(offset).limit(offset + length).slice();
            this.ptr = new FloatPointer(arena.data().addressPointer()).position(offset);
        }

        @Override
        public double get(int i) {
            return fb.get(i);
        }

        public float getFloat(int i) {
            return fb.get(i);
        }

        @Override
        public void set(int i, double v) {
            fb.put(i, (float) v);
        }

        @Override
        public void add(int i, double v) {
            fb.put(i, (float) (fb.get(i) + v));
        }

        @Override
        public DType dtype() {
            return DType.FLOAT32;
        }

        @Override
        public Pointer pointer() {
            return ptr;
        }

        @Override
        public void copyFrom(Buf src, int srcFrom, int dstFrom, int n) {
            fb.put(dstFrom, ((F32) src).fb, srcFrom, n);
        }

        @Override
        public void put(int dstFrom, float[] src, int srcFrom, int n) {
            fb.put(dstFrom, src, srcFrom, n);
        }

        @Override
        public void get(int srcFrom, float[] dst, int dstFrom, int n) {
            fb.get(srcFrom, dst, dstFrom, n);
        }

        // Widening and narrowing go through a heap chunk: bulk copies plus a plain array loop are several times
        // faster than element-wise buffer access.
        @Override
        public void put(int dstFrom, double[] src, int srcFrom, int n) {
            float[] chunk = STAGING.get();
            for (int done = 0; done < n; done += chunk.length) {
                int m = Math.min(chunk.length, n - done);
                for (int i = 0; i < m; i++) {
                    chunk[i] = (float) src[srcFrom + done + i];
                }
                fb.put(dstFrom + done, chunk, 0, m);
            }
        }

        @Override
        public void get(int srcFrom, double[] dst, int dstFrom, int n) {
            float[] chunk = STAGING.get();
            for (int done = 0; done < n; done += chunk.length) {
                int m = Math.min(chunk.length, n - done);
                fb.get(srcFrom + done, chunk, 0, m);
                for (int i = 0; i < m; i++) {
                    dst[dstFrom + done + i] = chunk[i];
                }
            }
        }

        private static final ThreadLocal<float[]> STAGING = ThreadLocal.withInitial(() -> new float[8192]);
    }

    public static final class F64 extends Buf {
        private final DoubleBuffer db;
        private final DoublePointer ptr;

        F64(INDArray arena, int offset, int length) {
            super(arena, offset, length);
            DoubleBuffer all = arena.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            this.db = all.position(offset).limit(offset + length).slice();
            this.ptr = new DoublePointer(arena.data().addressPointer()).position(offset);
        }

        @Override
        public double get(int i) {
            return db.get(i);
        }

        @Override
        public void set(int i, double v) {
            db.put(i, v);
        }

        @Override
        public void add(int i, double v) {
            db.put(i, db.get(i) + v);
        }

        @Override
        public DType dtype() {
            return DType.FLOAT64;
        }

        @Override
        public Pointer pointer() {
            return ptr;
        }

        @Override
        public void copyFrom(Buf src, int srcFrom, int dstFrom, int n) {
            db.put(dstFrom, ((F64) src).db, srcFrom, n);
        }

        @Override
        public void put(int dstFrom, float[] src, int srcFrom, int n) {
            for (int i = 0; i < n; i++) {
                db.put(dstFrom + i, src[srcFrom + i]);
            }
        }

        @Override
        public void get(int srcFrom, float[] dst, int dstFrom, int n) {
            for (int i = 0; i < n; i++) {
                dst[dstFrom + i] = (float) db.get(srcFrom + i);
            }
        }

        @Override
        public void put(int dstFrom, double[] src, int srcFrom, int n) {
            db.put(dstFrom, src, srcFrom, n);
        }

        @Override
        public void get(int srcFrom, double[] dst, int dstFrom, int n) {
            db.get(srcFrom, dst, dstFrom, n);
        }
    }
}
