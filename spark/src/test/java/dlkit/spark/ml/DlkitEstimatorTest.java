package dlkit.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.ConfigException;
import dlkit.data.ArrayDataset;
import dlkit.run.Run;
import dlkit.run.RunConfig;
import dlkit.spark.SparkTrainingTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The run config as a Spark ML Estimator: fit on a Dataset (in memory, or Parquet), in a Pipeline, transform. */
class DlkitEstimatorTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = SparkSession.builder().master("local[2]").appName("dlkit-estimator-test").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** The MLP config's teacher-labelled rows as a DataFrame: a Vector of 784 features and a class index per row. */
    static Dataset<Row> frame(Path config) {
        ArrayDataset d = Run.prepare(RunConfig.read(config)).train();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.count(); i++) {
            float[] f = d.features(i);
            double[] v = new double[f.length];
            for (int j = 0; j < f.length; j++) {
                v[j] = f[j];
            }
            rows.add(RowFactory.create(Vectors.dense(v), (double) d.label(i, 0)));
        }
        StructType schema = new StructType(new StructField[] {DataTypes.createStructField("features", new VectorUDT(), false),
                DataTypes.createStructField("label", DataTypes.DoubleType, false)});
        return spark.createDataFrame(rows, schema);
    }

    @Test
    void fitsInAPipelineAndTransformsAsTheModelPredicts(@TempDir Path dir) throws IOException {
        Path config = SparkTrainingTest.config(dir, 2048);
        Dataset<Row> data = frame(config);
        StandardScaler scaler = new StandardScaler().setInputCol("features").setOutputCol("scaled");
        DlkitEstimator estimator = new DlkitEstimator().setConfig(config.toString()).setFeaturesCol("scaled").setWorkers(2).setEpochs(6).setSeed(5);
        PipelineModel fitted = new Pipeline().setStages(new PipelineStage[] {scaler, estimator}).fit(data);
        DlkitModel model = (DlkitModel) fitted.stages()[1];
        List<Double> loss = model.history().get("loss");
        assertEquals(6, loss.size());
        assertTrue(loss.get(5) < loss.get(0), "the loss falls: " + loss);

        List<Row> out = fitted.transform(data).select("scaled", "label", "prediction", "output").collectAsList();
        assertEquals(2048, out.size());
        // the transformer's outputs are the dlkit model's own predictions
        float[][] x = new float[out.size()][];
        for (int i = 0; i < x.length; i++) {
            double[] v = ((Vector) out.get(i).get(0)).toArray();
            x[i] = new float[v.length];
            for (int j = 0; j < v.length; j++) {
                x[i][j] = (float) v[j];
            }
        }
        INDArray expected = model.model().predict(Nd4j.create(x));
        double worst = 0;
        int right = 0;
        for (int i = 0; i < x.length; i++) {
            double[] o = ((Vector) out.get(i).get(3)).toArray();
            assertEquals(10, o.length);
            int best = 0;
            for (int c = 0; c < 10; c++) {
                worst = Math.max(worst, Math.abs(o[c] - expected.getDouble(i, c)));
                best = o[c] > o[best] ? c : best;
            }
            assertEquals(best, out.get(i).getDouble(2), "prediction is the arg-max of the output");
            right += best == (int) out.get(i).getDouble(1) ? 1 : 0;
        }
        assertTrue(worst <= 1e-6, "max |transform − predict| = " + worst);
        // the same model trained in one process on the same scaled rows, same epochs and global batch, scores alike
        dlkit.model.Model local = Run.prepare(RunConfig.read(config)).model();
        int[] labels = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            labels[i] = (int) out.get(i).getDouble(1);
        }
        ArrayDataset scaled = ArrayDataset.of(x, labels);
        local.fit(scaled, dlkit.model.FitOptions.epochs(6).batchSize(128).seed(5));
        double localAccuracy = local.evaluate(scaled).get("accuracy");
        double sparkAccuracy = right / (double) x.length;
        System.out.printf("estimator, 2 workers: training accuracy %.4f; one process %.4f%n", sparkAccuracy, localAccuracy);
        assertTrue(sparkAccuracy > 0.2 && Math.abs(sparkAccuracy - localAccuracy) < 0.05,
                "training accuracy " + sparkAccuracy + " on Spark, " + localAccuracy + " in one process (chance is 0.1)");
    }

    @Test
    void fitsOnParquetFilesWithArrayColumns(@TempDir Path dir) throws IOException {
        Path config = SparkTrainingTest.config(dir, 512);
        // an array<float> feature column and an integer label, as a Parquet file from elsewhere would have them
        Dataset<Row> f = frame(config);
        f.select(org.apache.spark.ml.functions.vector_to_array(f.col("features"), "float32").as("pixels"), f.col("label").cast("int").as("y"))
                .write().parquet(dir.resolve("train.parquet").toString());
        Dataset<Row> parquet = spark.read().parquet(dir.resolve("train.parquet").toString());
        DlkitModel model = new DlkitEstimator().setConfig(config.toString()).setFeaturesCol("pixels").setLabelCol("y").setWorkers(2).setEpochs(1)
                .fit(parquet);
        assertEquals(1, model.history().get("loss").size());
        assertEquals(512, model.transform(parquet).count());
    }

    @Test
    void badColumnsAndSettingsNameTheParameter(@TempDir Path dir) throws IOException {
        Path config = SparkTrainingTest.config(dir, 64);
        Dataset<Row> data = frame(config);
        ConfigException missing = assertThrows(ConfigException.class, () -> new DlkitEstimator().setConfig(config.toString()).setFeaturesCol("pixels").fit(data));
        assertTrue(missing.getMessage().contains("featuresCol") && missing.getMessage().contains("no column \"pixels\""), missing.getMessage());
        ConfigException type = assertThrows(ConfigException.class,
                () -> new DlkitEstimator().setConfig(config.toString()).fit(data.withColumn("label", data.col("label").cast("string"))));
        assertTrue(type.getMessage().contains("labelCol") && type.getMessage().contains("is string"), type.getMessage());
        ConfigException noConfig = assertThrows(ConfigException.class, () -> new DlkitEstimator().fit(data));
        assertTrue(noConfig.getMessage().contains("config"), noConfig.getMessage());
        Files.writeString(config, Files.readString(config).replace("\"y\": \"y.npy\"}}", "\"y\": \"y.npy\"}, \"normalize\": \"standardize\"}"));
        ConfigException norm = assertThrows(ConfigException.class, () -> new DlkitEstimator().setConfig(config.toString()).fit(data));
        assertTrue(norm.getMessage().contains("data.normalize") && norm.getMessage().contains("StandardScaler"), norm.getMessage());
        ConfigException taken = assertThrows(ConfigException.class, () -> new DlkitModel("m", new byte[0]).transform(data.withColumn("prediction", data.col("label"))));
        assertTrue(taken.getMessage().contains("predictionCol"), taken.getMessage());
    }
}
