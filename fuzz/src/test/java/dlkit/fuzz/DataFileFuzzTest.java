package dlkit.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dlkit.data.Csv;
import dlkit.data.Idx;
import dlkit.data.Npy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Data files: NumPy .npy, MNIST-style IDX (plain or gzipped) and CSV (header found by looking, a label column). */
class DataFileFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void npy(byte[] data) {
        Hostile.withFile("fuzz.npy", data, file -> Hostile.expectCleanErrorsOnly(() -> Npy.read(file)));
    }

    @FuzzTest(maxDuration = "60s")
    void idx(byte[] data) {
        Hostile.withFile("fuzz-idx", data, file -> Hostile.expectCleanErrorsOnly(() -> Idx.read(file, true)));
    }

    @FuzzTest(maxDuration = "60s")
    void csv(byte[] data) {
        Hostile.expectCleanErrorsOnly(() -> {
            try {
                Csv.Table t = Csv.parse(new ByteArrayInputStream(data), Csv.Header.AUTO, "fuzz.csv");
                Csv.dataset(t, t.columns().get(t.columns().size() - 1), 0, "fuzz.csv");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
