package dlkit.data;

import dlkit.DlkitException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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

    public static @NonNull Array read(@NonNull Path path) {
        byte[] b;
        try {
            b = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new DlkitException(path + ": no such file");
        } catch (IOException e) {
            throw new DlkitException(path + ": cannot read: " + e.getMessage(), e);
        }
        if (b.length < 10 || (b[0] & 0xff) != 0x93 || !new String(b, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
            throw new DlkitException(path + ": not a .npy file (missing the \\x93NUMPY magic)");
        }
        int major = b[6];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = major == 1 ? Short.toUnsignedInt(bb.getShort(8)) : bb.getInt(8);
        int start = major == 1 ? 10 : 12;
        if (start + headerLen > b.length) {
            throw new DlkitException(path + ": truncated .npy header");
        }
        String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher o = ORDER.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !o.find() || !s.find()) {
            throw new DlkitException(path + ": unreadable .npy header: " + header.trim());
        }
        if (o.group(1).equals("True")) {
            throw new DlkitException(path + ": Fortran-ordered arrays are not supported; save with np.ascontiguousarray");
        }
        String[] parts = s.group(1).split(",");
        long[] shape = java.util.Arrays.stream(parts).map(String::trim).filter(p -> !p.isEmpty()).mapToLong(Long::parseLong).toArray();
        long n = 1;
        for (long v : shape) {
            n *= v;
        }
        char kind = d.group(2).charAt(0);
        int size = Integer.parseInt(d.group(3));
        ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        int dataStart = start + headerLen;
        if ((long) dataStart + n * size > b.length) {
            throw new DlkitException(path + ": truncated .npy data: shape " + java.util.Arrays.toString(shape) + " of " + d.group(2) + size
                    + " needs " + n * size + " bytes, the file has " + (b.length - dataStart));
        }
        ByteBuffer data = ByteBuffer.wrap(b, dataStart, (int) (n * size)).slice().order(order);
        float[] v = new float[(int) n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (kind + ":" + size) {
                case "f:4" -> data.getFloat(i * 4);
                case "f:8" -> (float) data.getDouble(i * 8);
                case "i:1" -> data.get(i);
                case "u:1", "b:1" -> data.get(i) & 0xff;
                case "i:2" -> data.getShort(i * 2);
                case "u:2" -> data.getShort(i * 2) & 0xffff;
                case "i:4" -> data.getInt(i * 4);
                case "u:4" -> data.getInt(i * 4) & 0xffffffffL;
                case "i:8", "u:8" -> data.getLong(i * 8);
                default -> throw new DlkitException(path + ": dtype " + d.group(2) + size + " is not supported (float, int, uint or bool)");
            };
        }
        return new Array(shape, v);
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
