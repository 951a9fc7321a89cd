package dlkit.spark.ml;

import dlkit.ConfigException;
import dlkit.run.RunConfig;
import dlkit.spark.SparkTraining;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.jspecify.annotations.NonNull;
import scala.Tuple2;

/**
 * A dlkit run config as a Spark ML {@link Estimator}: {@code fit} trains the config's model, compile and fit settings
 * (its {@code data} section, if any, is not used) on a {@code Dataset} — a feature column (a Vector or an array of
 * numbers per row) and a label column (a class index, or a Vector/array for one-hot or regression targets) — with
 * {@code workers} replicas kept in step as the config's {@code distributed} section says, each training on its own
 * partition of the rows (row i goes to worker i mod N; no worker sees the others' rows). The fitted
 * {@link DlkitModel} is a Transformer, so the model can sit in a {@code Pipeline} after Spark's own feature stages.
 */
public final class DlkitEstimator extends Estimator<DlkitModel> {
    private final String uid;
    private Param<String> config;
    private Param<String> featuresCol;
    private Param<String> labelCol;
    private Param<String> predictionCol;
    private Param<String> outputCol;
    private IntParam workers;
    private IntParam epochs;
    private LongParam seed;

    public DlkitEstimator() {
        this(Identifiable$.MODULE$.randomUID("dlkit"));
    }

    public DlkitEstimator(@NonNull String uid) {
        this.uid = uid;
        config = new Param<>(this, "config", "path of the dlkit run config (model, compile, fit; distributed for the sync mode)");
        featuresCol = new Param<>(this, "featuresCol", "features column: a Vector or an array of numbers");
        labelCol = new Param<>(this, "labelCol", "label column: a class index, or a Vector/array of targets");
        predictionCol = new Param<>(this, "predictionCol", "prediction column: the arg-max class, or the output for one-output models");
        outputCol = new Param<>(this, "outputCol", "column of the model's whole output vector (e.g. class probabilities)");
        workers = new IntParam(this, "workers", "replicas training together (default: the config's distributed.workers, else the default parallelism)");
        epochs = new IntParam(this, "epochs", "epochs (default: the config's fit.epochs)");
        seed = new LongParam(this, "seed", "seed (default: the config's fit.seed)");
        setDefault(featuresCol, "features");
        setDefault(labelCol, "label");
        setDefault(predictionCol, "prediction");
        setDefault(outputCol, "output");
    }

    @Override
    public String uid() {
        return uid;
    }

    // Spark ML finds a stage's params through public no-argument methods returning them.
    public Param<String> config() {
        return config;
    }

    public Param<String> featuresCol() {
        return featuresCol;
    }

    public Param<String> labelCol() {
        return labelCol;
    }

    public Param<String> predictionCol() {
        return predictionCol;
    }

    public Param<String> outputCol() {
        return outputCol;
    }

    public IntParam workers() {
        return workers;
    }

    public IntParam epochs() {
        return epochs;
    }

    public LongParam seed() {
        return seed;
    }

    public @NonNull DlkitEstimator setConfig(@NonNull String path) {
        set(config, path);
        return this;
    }

    public @NonNull DlkitEstimator setFeaturesCol(@NonNull String v) {
        set(featuresCol, v);
        return this;
    }

    public @NonNull DlkitEstimator setLabelCol(@NonNull String v) {
        set(labelCol, v);
        return this;
    }

    public @NonNull DlkitEstimator setPredictionCol(@NonNull String v) {
        set(predictionCol, v);
        return this;
    }

    public @NonNull DlkitEstimator setOutputCol(@NonNull String v) {
        set(outputCol, v);
        return this;
    }

    public @NonNull DlkitEstimator setWorkers(int v) {
        set(workers.w(v));
        return this;
    }

    public @NonNull DlkitEstimator setEpochs(int v) {
        set(epochs.w(v));
        return this;
    }

    public @NonNull DlkitEstimator setSeed(long v) {
        set(seed.w(v));
        return this;
    }

    @Override
    public StructType transformSchema(StructType schema) {
        Columns.check(schema, "featuresCol", $(featuresCol), false);
        Columns.check(schema, "labelCol", $(labelCol), true);
        return DlkitModel.outputSchema(schema, $(featuresCol), $(predictionCol), $(outputCol));
    }

    @Override
    public DlkitModel fit(Dataset<?> dataset) {
        if (!isDefined(config)) {
            throw new ConfigException("config", "set the run config: new DlkitEstimator().setConfig(\"model.json\")");
        }
        Path file = Path.of($(config));
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException("config", file + ": cannot read the run config: " + e.getMessage());
        }
        RunConfig rc = RunConfig.fromJson(text, file, false);
        if (!rc.data().normalize().equals("none")) {
            throw new ConfigException("data.normalize", file + ": \"" + rc.data().normalize() + "\" would learn its statistics on each worker's"
                    + " rows alone; in a Pipeline, put Spark ML's StandardScaler or MinMaxScaler before this stage");
        }
        transformSchema(dataset.schema());
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
        RunConfig.DistributedConfig d = rc.distributed() != null ? rc.distributed() : RunConfig.DistributedConfig.DEFAULT;
        int n = isDefined(workers) ? (Integer) $(workers) : d.workers() != null ? d.workers() : sc.defaultParallelism();
        if (n < 1) {
            throw new ConfigException("workers", "expected a positive number of workers, got " + n);
        }
        if (rc.fit().batchSize() < n) {
            throw new ConfigException("fit.batch_size", "a global batch of " + rc.fit().batchSize() + " cannot be split over " + n + " workers");
        }
        SparkTraining.Settings s = SparkTraining.Settings.from(d, n, rc.fit().batchSize());
        if (isDefined(epochs)) {
            s = s.epochs((Integer) $(epochs));
        }
        if (isDefined(seed)) {
            s = s.seed((Long) $(seed));
        }
        int workerCount = n;
        Dataset<Row> cols = dataset.select($(featuresCol), $(labelCol));
        // row i to worker i mod N: partitions within one row of each other, each sorted back into row order
        JavaRDD<SparkTraining.Sample> samples = cols.toJavaRDD().zipWithIndex()
                .mapToPair(t -> new Tuple2<>((int) (t._2() % workerCount), new SparkTraining.Sample(t._2(), Columns.floats(t._1(), 0), Columns.floats(t._1(), 1))))
                .partitionBy(new HashPartitioner(n)).values();
        SparkTraining.Result r = SparkTraining.trainOnSamples(sc, samples, text, file, s, null);
        byte[] archive;
        try {
            Path tmp = Files.createTempFile("dlkit-estimator-", ".dlk");
            try {
                r.model().save(tmp);
                archive = Files.readAllBytes(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hold the trained model: " + e.getMessage(), e);
        }
        DlkitModel model = new DlkitModel(uid, archive).setFeaturesCol($(featuresCol)).setPredictionCol($(predictionCol)).setOutputCol($(outputCol));
        model.setParent(this);
        model.history = r.history();
        return model;
    }

    @Override
    public DlkitEstimator copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
