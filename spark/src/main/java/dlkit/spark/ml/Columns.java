package dlkit.spark.ml;

import dlkit.ConfigException;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.Seq;

/** The column types dlkit's Spark ML stages read: a Vector or an array of numbers per sample, a number or either of those per label. */
final class Columns {
    private Columns() {}

    /** Checks {@code param}'s column {@code name} in {@code schema}: a vector (features, or a label with {@code scalarOk}). */
    static void check(StructType schema, String param, String name, boolean scalarOk) {
        if (!java.util.Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new ConfigException(param, "no column \"" + name + "\" in the data (its columns: " + String.join(", ", schema.fieldNames()) + ")");
        }
        DataType t = schema.apply(name).dataType();
        boolean vector = t instanceof VectorUDT || t instanceof ArrayType a && a.elementType() instanceof NumericType;
        if (!vector && !(scalarOk && t instanceof NumericType)) {
            throw new ConfigException(param, "column \"" + name + "\" is " + t.simpleString() + "; expected "
                    + (scalarOk ? "a number, " : "") + "a Vector or an array of numbers");
        }
    }

    /** Fails if {@code name} is a column already (an output column would replace it). */
    static void absent(StructType schema, String param, String name) {
        if (java.util.Arrays.asList(schema.fieldNames()).contains(name)) {
            throw new ConfigException(param, "the data has a column \"" + name + "\" already; choose another output column name");
        }
    }

    static StructType with(StructType schema, StructField... fields) {
        StructType s = schema;
        for (StructField f : fields) {
            s = s.add(f);
        }
        return s;
    }

    /** Field {@code i} of {@code row} as floats: a Vector, an array of numbers, or one number. */
    static float[] floats(Row row, int i) {
        Object v = row.get(i);
        if (v == null) {
            throw new ConfigException("data", "row has no value in column " + row.schema().fieldNames()[i]);
        }
        if (v instanceof Vector vec) {
            double[] d = vec.toArray();
            float[] f = new float[d.length];
            for (int j = 0; j < d.length; j++) {
                f[j] = (float) d[j];
            }
            return f;
        }
        if (v instanceof Number n) {
            return new float[] {n.floatValue()};
        }
        if (v instanceof Seq<?> seq) {
            float[] f = new float[seq.size()];
            for (int j = 0; j < f.length; j++) {
                f[j] = ((Number) seq.apply(j)).floatValue();
            }
            return f;
        }
        throw new ConfigException("data", "column " + row.schema().fieldNames()[i] + " holds " + v.getClass().getSimpleName()
                + "; expected a Vector, an array of numbers or a number");
    }
}
