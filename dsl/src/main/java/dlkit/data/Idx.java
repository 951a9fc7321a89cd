package dlkit.data;

import dlkit.DlkitException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.NonNull;

/** MNIST-format IDX files (unsigned bytes), gzipped or not: images become floats in [0, 1] when {@code scale}. */
public final class Idx {
    /** Decoded contents: dims (without the sample axis) and values. */
    public record Array(int count, int @NonNull [] dims, float @NonNull [] values) {}

    private Idx() {}

    public static @NonNull Array read(@NonNull Path path, boolean scale) {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            InputStream in = (b0 == 0x1f && b1 == 0x8b) ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            DataInputStream d = new DataInputStream(in);
            int magic = d.readInt();
            if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != 0x08) {
                throw new DlkitException(path + ": not an unsigned-byte IDX file (magic 0x" + Integer.toHexString(magic) + ", expected 0x0000080N)");
            }
            int rank = magic & 0xff;
            if (rank < 1 || rank > 4) {
                throw new DlkitException(path + ": IDX rank " + rank + " is not supported (expected 1 to 4)");
            }
            int count = d.readInt();
            int[] dims = new int[rank - 1];
            long per = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = d.readInt();
                per *= dims[i];
            }
            if (count < 0 || per <= 0 || count * per > Integer.MAX_VALUE) {
                throw new DlkitException(path + ": implausible IDX dimensions " + count + " x " + java.util.Arrays.toString(dims));
            }
            byte[] bytes = new byte[(int) (count * per)];
            d.readFully(bytes);
            float[] v = new float[bytes.length];
            float s = scale ? 1f / 255f : 1f;
            for (int i = 0; i < bytes.length; i++) {
                v[i] = (bytes[i] & 0xff) * s;
            }
            return new Array(count, dims, v);
        } catch (NoSuchFileException e) {
            throw new DlkitException(path + ": no such file");
        } catch (EOFException e) {
            throw new DlkitException(path + ": truncated IDX file (fewer bytes than its header declares)");
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read IDX file: " + e.getMessage(), e);
        }
    }

    /** An images file and a labels file as a dataset shaped [rows, cols]; pixels scaled to [0, 1] when {@code scale}. */
    public static @NonNull ArrayDataset dataset(@NonNull Path images, @NonNull Path labels, boolean scale) {
        Array x = read(images, scale);
        Array y = read(labels, false);
        if (x.count() != y.count()) {
            throw new DlkitException(images + " has " + x.count() + " images but " + labels + " has " + y.count() + " labels");
        }
        return new ArrayDataset(x.values(), dlkit.tensor.Shape.of(x.dims()), y.values(), 1);
    }
}
