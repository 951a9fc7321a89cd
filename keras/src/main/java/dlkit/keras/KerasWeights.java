package dlkit.keras;

import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.api.WritableGroup;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras 3's {@code model.weights.h5}: one group per saveable object along the attribute path Keras' saver walks,
 * each with a {@code vars} group holding the variables as datasets {@code 0, 1, ...} in the layer's own order.
 * Reading checks every dataset's type and shape before its data is read; HDF5 errors of any kind become one
 * {@link KerasFormatException} naming the file.
 */
final class KerasWeights implements AutoCloseable {
    private final HdfFile file;
    private final String src;

    private KerasWeights(HdfFile file, String src) {
        this.file = file;
        this.src = src;
    }

    static KerasWeights open(byte[] bytes, String src) {
        try {
            return new KerasWeights(HdfFile.fromBytes(bytes), src);
        } catch (RuntimeException | StackOverflowError e) {
            throw new KerasFormatException(src + ": not a readable HDF5 file: " + e.getMessage(), e);
        }
    }

    /** A file on disk, read lazily (legacy .h5 files hold the whole model and may be large). */
    static KerasWeights open(Path path) {
        try {
            return new KerasWeights(new HdfFile(path), path.toString());
        } catch (RuntimeException | StackOverflowError e) {
            throw new KerasFormatException(path + ": not a readable HDF5 file: " + e.getMessage(), e);
        }
    }

    /** A string attribute of the file's root or of a group (legacy .h5: model_config, weight_names), or null. */
    Object attribute(String nodePath, String name) {
        try {
            Node n = nodePath.isEmpty() ? file : find(nodePath);
            if (n == null) {
                return null;
            }
            io.jhdf.api.Attribute a = n.getAttribute(name);
            return a == null ? null : a.getData();
        } catch (RuntimeException | StackOverflowError e) {
            throw new KerasFormatException(src + ": " + nodePath + " attribute " + name + ": unreadable HDF5: " + e.getMessage(), e);
        }
    }

    /** The dataset at a path, or an error naming it. */
    Dataset dataset(String path) {
        try {
            Node n = find(path);
            if (!(n instanceof Dataset d)) {
                throw new KerasFormatException(src + ": no dataset " + path);
            }
            return d;
        } catch (KerasFormatException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new KerasFormatException(src + ": " + path + ": unreadable HDF5: " + e.getMessage(), e);
        }
    }

    /** The datasets 0..n-1 of a vars group, in order; an absent group has none. */
    List<Dataset> vars(String groupPath) {
        try {
            Node n = find(groupPath);
            if (n == null) {
                return List.of();
            }
            if (!(n instanceof Group g)) {
                throw new KerasFormatException(src + ": " + groupPath + " is not a group");
            }
            Map<String, Node> children = g.getChildren();
            List<Dataset> out = new ArrayList<>();
            for (int i = 0; i < children.size(); i++) {
                Node c = children.get(Integer.toString(i));
                if (!(c instanceof Dataset d)) {
                    throw new KerasFormatException(src + ": " + groupPath + " holds " + children.keySet() + ", expected datasets 0.." + (children.size() - 1));
                }
                out.add(d);
            }
            return out;
        } catch (KerasFormatException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new KerasFormatException(src + ": " + groupPath + ": unreadable HDF5: " + e.getMessage(), e);
        }
    }

    private Node find(String path) {
        Node n = file;
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            if (!(n instanceof Group g)) {
                return null;
            }
            n = g.getChildren().get(part);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    /** A dataset's values as float32, after checking its shape is {@code shape} (a scalar is shape []). */
    float[] floats(Dataset d, int[] shape, String what) {
        String at = src + ": " + d.getPath() + " (" + what + ")";
        try {
            int[] dims = d.isScalar() ? new int[0] : d.getDimensions();
            if (!Arrays.equals(dims, shape)) {
                throw new KerasFormatException(at + ": shape " + Arrays.toString(dims) + ", expected " + Arrays.toString(shape));
            }
            Class<?> t = d.getJavaType();
            if (t != float.class && t != double.class && t != int.class && t != long.class
                    && t != Float.class && t != Double.class && t != Integer.class && t != Long.class) {
                throw new KerasFormatException(at + ": data type " + t.getSimpleName() + ", expected float32");
            }
            Object data = d.isScalar() ? d.getData() : d.getDataFlat();
            return toFloats(data, at);
        } catch (KerasFormatException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw new KerasFormatException(at + ": unreadable HDF5 data: " + e.getMessage(), e);
        }
    }

    private static float[] toFloats(Object data, String at) {
        if (data instanceof float[] f) {
            return f;
        }
        if (data instanceof Number n) {
            return new float[] {n.floatValue()};
        }
        if (data != null && data.getClass().isArray()) {
            int len = Array.getLength(data);
            float[] out = new float[len];
            for (int i = 0; i < len; i++) {
                out[i] = ((Number) Array.get(data, i)).floatValue();
            }
            return out;
        }
        throw new KerasFormatException(at + ": unexpected data " + (data == null ? "null" : data.getClass().getSimpleName()));
    }

    @Override
    public void close() {
        file.close();
    }

    /** A weights file being written: groups in the order they are first named, datasets as Keras lays them out. */
    static final class Writer {
        /** Group path → its variables (shape, values), in order. */
        private final Map<String, List<Object>> groups = new LinkedHashMap<>();
        private final Map<String, String> names = new LinkedHashMap<>();

        void group(String path, String objectName) {
            groups.computeIfAbsent(path, k -> new ArrayList<>());
            names.put(path, objectName);
        }

        void add(String path, int[] shape, float[] values) {
            groups.get(path).add(shaped(shape, values));
        }

        /** A scalar int (Keras' optimizer iterations) or float variable. */
        void addScalar(String path, Object value) {
            groups.get(path).add(value);
        }

        void write(Path target) throws IOException {
            Files.deleteIfExists(target);
            try (WritableHdfFile h5 = HdfFile.write(target)) {
                Map<String, WritableGroup> made = new LinkedHashMap<>();
                for (var e : groups.entrySet()) {
                    if (e.getValue().isEmpty()) {
                        // jHDF 0.10 writes a group without children as a corrupt object header; Keras reads a
                        // missing vars group as a layer without variables, so nothing is lost by leaving it out.
                        continue;
                    }
                    WritableGroup g = ensure(h5, made, e.getKey());
                    g.putAttribute("name", names.get(e.getKey()));
                    List<Object> vars = e.getValue();
                    for (int i = 0; i < vars.size(); i++) {
                        g.putDataset(Integer.toString(i), vars.get(i));
                    }
                }
            }
        }

        private static WritableGroup ensure(WritableHdfFile h5, Map<String, WritableGroup> made, String path) {
            WritableGroup parent = null;
            StringBuilder at = new StringBuilder();
            for (String part : path.split("/")) {
                if (part.isEmpty()) {
                    continue;
                }
                if (at.length() > 0) {
                    at.append('/');
                }
                at.append(part);
                WritableGroup g = made.get(at.toString());
                if (g == null) {
                    g = parent == null ? h5.putGroup(part) : parent.putGroup(part);
                    made.put(at.toString(), g);
                }
                parent = g;
            }
            return parent;
        }

        /** Row-major values as the nested Java array jHDF writes with that shape. */
        private static Object shaped(int[] shape, float[] values) {
            if (shape.length <= 1) {
                return values.clone();
            }
            Object out = Array.newInstance(float.class, shape);
            fill(out, shape, 0, values, new int[] {0});
            return out;
        }

        private static void fill(Object arr, int[] shape, int axis, float[] values, int[] pos) {
            if (axis == shape.length - 1) {
                float[] row = (float[]) arr;
                System.arraycopy(values, pos[0], row, 0, row.length);
                pos[0] += row.length;
                return;
            }
            for (int i = 0; i < shape[axis]; i++) {
                fill(Array.get(arr, i), shape, axis + 1, values, pos);
            }
        }
    }
}
