package dlkit.data;

import dlkit.DlkitException;
import dlkit.files.InputFiles;
import dlkit.tensor.Memory;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.NonNull;

/** MNIST-format IDX files (unsigned bytes), gzipped or not: images become floats in [0, 1] when {@code scale}. */
public final class Idx {
    /** Decoded contents: dims (without the sample axis) and values. */
    public record Array(int count, int @NonNull [] dims, float @NonNull [] values) {}

    private Idx() {}

    /** Deflate expands at most about 1032:1, so a gzip of n bytes cannot hold more than this many times n. */
    private static final long MAX_GZIP_RATIO = 1032;

    /**
     * Reads {@code path}, checking the header's counts against the file's real size (for a gzip, the most its
     * compressed size can expand to) before allocating the values.
     */
    public static @NonNull Array read(@NonNull Path path, boolean scale) {
        long fileSize = InputFiles.size(path, "IDX file");
        try (InputStream raw = new BufferedInputStream(InputFiles.open(path, "IDX file"), 1 << 16)) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw;
            DataInputStream d = new DataInputStream(in);
            int magic = d.readInt();
            if ((magic >>> 16) != 0 || ((magic >>> 8) & 0xff) != 0x08) {
                throw new DlkitException(path + ": not an unsigned-byte IDX file (magic 0x" + Integer.toHexString(magic) + ", expected 0x0000080N)");
            }
            int rank = magic & 0xff;
            if (rank < 1 || rank > 4) {
                throw new DlkitException(path + ": IDX rank " + rank + " is not supported (expected 1 to 4)");
            }
            long count = Integer.toUnsignedLong(d.readInt());
            int[] dims = new int[rank - 1];
            long per = 1;
            for (int i = 0; i < dims.length; i++) {
                long dim = Integer.toUnsignedLong(d.readInt());
                if (dim < 1 || dim > Integer.MAX_VALUE) {
                    throw new DlkitException(path + ": IDX dimension " + (i + 1) + " is " + dim + " (expected 1 to 2^31-1)");
                }
                dims[i] = (int) dim;
                per *= dim;
            }
            long values = Memory.product(count, per);
            long header = 4L * (rank + 1);
            long room = gzip ? Memory.product(fileSize, MAX_GZIP_RATIO) : fileSize - header;
            if (values < 0 || values > room) {
                throw new DlkitException(path + ": truncated or corrupt IDX file: its header declares " + count + " samples of " + Arrays.toString(dims)
                        + " (" + (values < 0 ? "more than 2^63" : String.format("%,d", values)) + " bytes) but " + (gzip
                        ? "a " + String.format("%,d", fileSize) + "-byte gzip cannot hold that many" : "the file holds " + String.format("%,d", fileSize - header)));
            }
            if (values > Integer.MAX_VALUE - 8) {
                throw new DlkitException(path + ": " + String.format("%,d", values) + " values is more than one array holds (2^31)");
            }
            Memory.requireHeap(values * Float.BYTES, path + ": " + count + " samples of " + Arrays.toString(dims));
            float[] v = new float[(int) values];
            float s = scale ? 1f / 255f : 1f;
            byte[] chunk = new byte[1 << 16];
            for (int i = 0; i < v.length; ) {
                int k = Math.min(chunk.length, v.length - i);
                d.readFully(chunk, 0, k);
                for (int j = 0; j < k; j++) {
                    v[i++] = (chunk[j] & 0xff) * s;
                }
            }
            return new Array((int) count, dims, v);
        } catch (EOFException e) {
            throw new DlkitException(path + ": truncated IDX file (fewer bytes than its header declares)");
        } catch (java.util.zip.ZipException e) {
            throw new DlkitException(path + ": corrupt gzip data: " + e.getMessage());
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
