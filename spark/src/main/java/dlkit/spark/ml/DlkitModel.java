package dlkit.spark.ml;

import dlkit.model.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A trained dlkit model as a Spark ML Transformer: {@code transform} adds the prediction (the arg-max class, or the
 * output itself for a model with one output value) and the model's whole output as a Vector (class probabilities
 * for a softmax), predicting each partition in batches on its executor. The model travels as its {@code .dlk}
 * archive; {@link #model()} gives it back on the driver.
 */
public final class DlkitModel extends org.apache.spark.ml.Model<DlkitModel> {
    private static final int BATCH = 256;

    private final String uid;
    private final byte[] archive;
    private Param<String> featuresCol;
    private Param<String> predictionCol;
    private Param<String> outputCol;
    /** The fit's history (per epoch, as Model.fit's), when this model came from {@link DlkitEstimator#fit}. */
    @Nullable Map<String, List<Double>> history;

    public DlkitModel(@NonNull String uid, byte @NonNull [] archive) {
        this.uid = uid;
        this.archive = archive.clone();
        featuresCol = new Param<>(this, "featuresCol", "features column: a Vector or an array of numbers");
        predictionCol = new Param<>(this, "predictionCol", "prediction column");
        outputCol = new Param<>(this, "outputCol", "column of the model's whole output vector");
        setDefault(featuresCol, "features");
        setDefault(predictionCol, "prediction");
        setDefault(outputCol, "output");
    }

    /** A model saved by dlkit ({@code .dlk}, or any format {@code Model.load} reads) as a Transformer. */
    public static @NonNull DlkitModel load(@NonNull Path file) {
        try {
            Model.load(file); // fails here, on the driver, naming the file, rather than in every task
            return new DlkitModel(org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID("dlkit"), Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String uid() {
        return uid;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public @NonNull DlkitModel setFeaturesCol(@NonNull String v) {
        set(featuresCol, v);
        return this;
    }

    public @NonNull DlkitModel setPredictionCol(@NonNull String v) {
        set(predictionCol, v);
        return this;
    }

    public @NonNull DlkitModel setOutputCol(@NonNull String v) {
        set(outputCol, v);
        return this;
    }

    /** The per-epoch history of the fit that trained it (empty when loaded). */
    public @NonNull Map<String, List<Double>> history() {
        return history == null ? Map.of() : history;
    }

    /** The dlkit model itself. */
    public @NonNull Model model() {
        return fromArchive(archive);
    }

    static StructType outputSchema(StructType schema, String features, String prediction, String output) {
        Columns.check(schema, "featuresCol", features, false);
        Columns.absent(schema, "predictionCol", prediction);
        Columns.absent(schema, "outputCol", output);
        return Columns.with(schema, new StructField(prediction, DataTypes.DoubleType, false, org.apache.spark.sql.types.Metadata.empty()),
                new StructField(output, new VectorUDT(), false, org.apache.spark.sql.types.Metadata.empty()));
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return outputSchema(schema, $(featuresCol), $(predictionCol), $(outputCol));
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        StructType out = transformSchema(dataset.schema());
        Broadcast<byte[]> shared = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext()).broadcast(archive);
        int features = dataset.schema().fieldIndex($(featuresCol));
        return dataset.toDF().mapPartitions(new Predict(shared, features), Encoders.row(out));
    }

    @Override
    public DlkitModel copy(ParamMap extra) {
        DlkitModel m = copyValues(new DlkitModel(uid, archive), extra);
        m.history = history;
        return m.setParent(parent());
    }

    static Model fromArchive(byte[] archive) {
        try {
            Path tmp = Files.createTempFile("dlkit-model-", ".dlk");
            try {
                Files.write(tmp, archive);
                return Model.load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model: " + e.getMessage(), e);
        }
    }

    /** One partition's rows, predicted {@value #BATCH} at a time, each with the two columns appended. */
    private static final class Predict implements MapPartitionsFunction<Row, Row> {
        private final Broadcast<byte[]> archive;
        private final int features;

        Predict(Broadcast<byte[]> archive, int features) {
            this.archive = archive;
            this.features = features;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> rows) {
            Model model = fromArchive(archive.value());
            int[] dims = model.inputShape().dims();
            long[] shape = new long[dims.length + 1];
            for (int i = 0; i < dims.length; i++) {
                shape[i + 1] = dims[i];
            }
            return new Iterator<>() {
                private final List<Row> out = new ArrayList<>();
                private int next;

                @Override
                public boolean hasNext() {
                    if (next < out.size()) {
                        return true;
                    }
                    out.clear();
                    next = 0;
                    List<Row> batch = new ArrayList<>(BATCH);
                    while (batch.size() < BATCH && rows.hasNext()) {
                        batch.add(rows.next());
                    }
                    if (batch.isEmpty()) {
                        return false;
                    }
                    float[][] x = new float[batch.size()][];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = Columns.floats(batch.get(i), features);
                    }
                    INDArray in = Nd4j.create(x);
                    shape[0] = x.length;
                    INDArray y = model.predict(in.reshape('c', shape));
                    y = y.reshape('c', x.length, y.length() / x.length);
                    for (int i = 0; i < x.length; i++) {
                        double[] o = y.getRow(i).toDoubleVector();
                        double prediction = o.length == 1 ? o[0] : argmax(o);
                        Object[] values = new Object[batch.get(i).length() + 2];
                        for (int j = 0; j < batch.get(i).length(); j++) {
                            values[j] = batch.get(i).get(j);
                        }
                        values[values.length - 2] = prediction;
                        values[values.length - 1] = Vectors.dense(o);
                        out.add(RowFactory.create(values));
                    }
                    return true;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return out.get(next++);
                }
            };
        }

        private static int argmax(double[] o) {
            int best = 0;
            for (int i = 1; i < o.length; i++) {
                if (o[i] > o[best]) {
                    best = i;
                }
            }
            return best;
        }
    }
}
