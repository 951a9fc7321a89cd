package dlkit.data;

import dlkit.DlkitException;
import dlkit.files.InputFiles;
import dlkit.tensor.Memory;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.NonNull;

/** NumPy {@code .npy} files (format 1.0–3.0, C order): float32/float64/int8–64/uint8–64/bool in, float32 out. */
public final class Npy {
    public record Array(long @NonNull [] shape, float @NonNull [] values) {
        public int count() {
            return shape.length == 0 ? 1 : (int) shape[0];
        }
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** NumPy caps a header at 64 KB in format 1.0 and uses little more in 2.0/3.0; anything larger is not a real file. */
    static final int MAX_HEADER = 1 << 20;

    /**
     * Reads {@code path}, checking the header against the file's real size before allocating: the values
     * (4 bytes each) must fit the heap, and a malformed header is an error naming the file and the field.
     */
    public static @NonNull Array read(@NonNull Path path) {
        long fileSize = InputFiles.size(path, ".npy file");
        try (InputStream raw = InputFiles.open(path, ".npy file")) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16));
            byte[] pre = new byte[8];
            if (fileSize >= 10) {
                in.readFully(pre);
            }
            if (fileSize < 10 || (pre[0] & 0xff) != 0x93 || !new String(pre, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
                throw new DlkitException(path + ": not a .npy file (missing the \\x93NUMPY magic)");
            }
            int major = pre[6];
            if (major < 1 || major > 3) {
                throw new DlkitException(path + ": .npy format version " + major + "." + pre[7] + " is not supported (1.0 to 3.0)");
            }
            long headerLen = major == 1 ? Short.toUnsignedInt(Short.reverseBytes(in.readShort())) : Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            int start = major == 1 ? 10 : 12;
            if (headerLen > MAX_HEADER || start + headerLen > fileSize) {
                throw new DlkitException(path + ": .npy header length " + headerLen + " is " + (headerLen > MAX_HEADER ? "over " + MAX_HEADER + " bytes"
                        : "beyond the end of the " + fileSize + "-byte file") + " (corrupt or truncated)");
            }
            byte[] hb = new byte[(int) headerLen];
            in.readFully(hb);
            String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Header h = parseHeader(header, path);
            long n = Memory.product(h.shape());
            long bytes = Memory.product(n, h.size());
            long available = fileSize - start - headerLen;
            if (bytes < 0 || bytes > available) {
                throw new DlkitException(path + ": truncated .npy data: shape " + Arrays.toString(h.shape()) + " of " + h.kind() + h.size()
                        + " needs " + (bytes < 0 ? "more than 2^63" : String.format("%,d", bytes)) + " bytes, the file has " + String.format("%,d", available));
            }
            if (n > Integer.MAX_VALUE - 8) {
                throw new DlkitException(path + ": " + String.format("%,d", n) + " values is more than one array holds (2^31)");
            }
            Memory.requireHeap(n * Float.BYTES, path + ": " + String.format("%,d", n) + " values");
            float[] v = new float[(int) n];
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(h.order());
            byte[] cb = chunk.array();
            int per = cb.length / h.size();
            for (int i = 0; i < n; ) {
                int k = (int) Math.min(per, n - i);
                in.readFully(cb, 0, k * h.size());
                for (int j = 0; j < k; j++, i++) {
                    v[i] = h.value(chunk, j);
                }
            }
            return new Array(h.shape(), v);
        } catch (EOFException e) {
            throw new DlkitException(path + ": truncated .npy file");
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** A parsed header: element kind ('f', 'i', 'u', 'b'), size in bytes, byte order and shape. */
    private record Header(char kind, int size, ByteOrder order, long[] shape) {
        float value(ByteBuffer b, int j) {
            return switch (kind + ":" + size) {
                case "f:4" -> b.getFloat(j * 4);
                case "f:8" -> (float) b.getDouble(j * 8);
                case "i:1" -> b.get(j);
                case "u:1", "b:1" -> b.get(j) & 0xff;
                case "i:2" -> b.getShort(j * 2);
                case "u:2" -> b.getShort(j * 2) & 0xffff;
                case "i:4" -> b.getInt(j * 4);
                case "u:4" -> b.getInt(j * 4) & 0xffffffffL;
                default -> b.getLong(j * 8);
            };
        }
    }

    private static final java.util.Set<String> DTYPES = java.util.Set.of("f4", "f8", "i1", "u1", "b1", "i2", "u2", "i4", "u4", "i8", "u8");

    private static Header parseHeader(String header, Path path) {
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            String shown = header.length() > 200 ? header.substring(0, 200) + "..." : header;
            throw new DlkitException(path + ": unreadable .npy header (expected 'descr', 'fortran_order' and 'shape'): " + shown.trim());
        }
        if (o.group(1).equals("True")) {
            throw new DlkitException(path + ": Fortran-ordered arrays are not supported; save with np.ascontiguousarray");
        }
        String dtype = d.group(2) + d.group(3);
        if (!DTYPES.contains(dtype)) {
            throw new DlkitException(path + ": descr: dtype " + (dtype.length() > 12 ? dtype.substring(0, 12) + "..." : dtype)
                    + " is not supported (float32/64, int8-64, uint8-64 or bool)");
        }
        String[] parts = s.group(1).split(",");
        long[] shape = new long[parts.length];
        int rank = 0;
        for (String part : parts) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            long dim;
            try {
                dim = Long.parseLong(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
            } catch (NumberFormatException e) {
                dim = -1;
            }
            if (dim < 0) {
                throw new DlkitException(path + ": shape: \"" + (p.length() > 24 ? p.substring(0, 24) + "..." : p) + "\" is not a dimension (expected a non-negative integer)");
            }
            shape[rank++] = dim;
        }
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        return new Header(d.group(2).charAt(0), Integer.parseInt(d.group(3)), order, Arrays.copyOf(shape, rank));
    }

    /** Writes float32 data in .npy 1.0 format. */
    public static void write(@NonNull OutputStream out, long @NonNull [] shape, float @NonNull [] values) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (long s : shape) {
            dims.append(s).append(", ");
        }
        String h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + (shape.length == 1 ? dims.toString().trim() : dims.substring(0, Math.max(0, dims.length() - 2))) + "), }";
        int total = 10 + h.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = h + " ".repeat(pad) + "\n";
        ByteBuffer pre = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
        pre.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.write(pre.array());
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        out.write(data.array());
    }
}
