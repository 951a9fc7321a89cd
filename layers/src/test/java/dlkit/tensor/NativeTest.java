package dlkit.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NativeTest {
    @Test
    void picksOpenBlasKernelsFromCpuFlags() {
        assertEquals("SkylakeX", Native.coreTypeFor("fpu sse avx2 fma avx512f avx512bw"));
        assertEquals("Haswell", Native.coreTypeFor("fpu sse avx avx2 fma"));
        assertNull(Native.coreTypeFor("fpu sse sse2"));
        assertNull(Native.coreTypeFor(null));
    }

    @Test
    void initAppliesSettingsAndGemmWorks() {
        var chosen = Native.init();
        assertTrue(chosen.containsKey("blas_threads"));
        Buf a = Buf.allocate(DType.FLOAT32, 6);
        Buf b = Buf.allocate(DType.FLOAT32, 6);
        Buf c = Buf.allocate(DType.FLOAT32, 4);
        a.put(0, new float[] {1, 2, 3, 4, 5, 6}, 0, 6);
        b.put(0, new float[] {1, 0, 0, 1, 1, 1}, 0, 6);
        Blas.gemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2);
        float[] out = new float[4];
        c.get(0, out, 0, 4);
        assertEquals(4, out[0]);
        assertEquals(5, out[1]);
        assertEquals(10, out[2]);
        assertEquals(11, out[3]);
    }
}
