package dlkit.bench;

import dlkit.data.ArrayDataset;
import dlkit.layers.Activation;
import dlkit.layers.Input;
import dlkit.layers.core.Dense;
import dlkit.layers.recurrent.LSTM;
import dlkit.loss.Loss;
import dlkit.model.Model;
import dlkit.model.Sequential;
import dlkit.optim.Adam;
import dlkit.tensor.Native;
import dlkit.tensor.Shape;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.LSTMLayer;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMActivations;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMDataFormat;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMDirectionMode;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.config.LSTMLayerConfig;
import org.nd4j.linalg.api.ops.impl.layers.recurrent.weights.LSTMLayerWeights;
import org.nd4j.linalg.factory.Nd4j;

/**
 * libnd4j's own LSTM ops ({@code lstmLayer} and {@code lstmLayer_bp}) against dlkit's GEMM-based LSTM on the
 * benchmark's shape (batch 128, 28 steps of 28 features, 128 units, last output only): forward and backward ms.
 * Usage: {@code java -cp ... dlkit.bench.LstmOpBench [batch] [repeats]}.
 */
public final class LstmOpBench {
    private LstmOpBench() {}

    public static void main(String[] args) {
        System.out.println("native: " + Native.init());
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int steps = 28;
        int features = 28;
        int units = 128;
        INDArray x = Nd4j.rand(DataType.FLOAT, batch, steps, features).subi(0.5);
        INDArray wx = Nd4j.rand(DataType.FLOAT, features, 4 * units).subi(0.5).muli(0.2);
        INDArray wr = Nd4j.rand(DataType.FLOAT, units, 4 * units).subi(0.5).muli(0.2);
        INDArray b = Nd4j.zeros(DataType.FLOAT, 4 * units);
        LSTMLayerConfig conf = LSTMLayerConfig.builder().lstmdataformat(LSTMDataFormat.NTS).directionMode(LSTMDirectionMode.FWD)
                .gateAct(LSTMActivations.SIGMOID).cellAct(LSTMActivations.TANH).outAct(LSTMActivations.TANH)
                .retFullSequence(false).retLastH(true).retLastC(false).build();
        LSTMLayerWeights weights = LSTMLayerWeights.builder().iWeights(wx).irWeights(wr).iBias(b).build();
        LSTMLayer fwdOp = new LSTMLayer(x, null, null, null, weights, conf);
        long[] iArgs = fwdOp.iArgs();
        double[] tArgs = fwdOp.tArgs();
        boolean[] bArgs = fwdOp.bArgs();
        INDArray h = Nd4j.zeros(DataType.FLOAT, batch, units);
        INDArray dh = Nd4j.rand(DataType.FLOAT, batch, units);
        INDArray dx = Nd4j.zeros(DataType.FLOAT, batch, steps, features);
        INDArray dwx = Nd4j.zeros(DataType.FLOAT, features, 4 * units);
        INDArray dwr = Nd4j.zeros(DataType.FLOAT, units, 4 * units);
        INDArray db = Nd4j.zeros(DataType.FLOAT, 4 * units);
        DynamicCustomOp forward = DynamicCustomOp.builder("lstmLayer").addInputs(x, wx, wr, b).addOutputs(h)
                .addIntegerArguments(toInts(iArgs)).addFloatingPointArguments(toObjects(tArgs)).addBooleanArguments(bArgs).build();
        // lstmLayer_bp: the forward inputs, then dL/d(last h) because only the last h is returned.
        DynamicCustomOp backward = DynamicCustomOp.builder("lstmLayer_bp").addInputs(x, wx, wr, b, dh).addOutputs(dx, dwx, dwr, db)
                .addIntegerArguments(toInts(iArgs)).addFloatingPointArguments(toObjects(tArgs)).addBooleanArguments(bArgs).build();
        double f = time(() -> Nd4j.exec(forward), repeats);
        double bw = time(() -> Nd4j.exec(backward), repeats);

        Model m = Sequential.of(Input.of(steps, features), LSTM.of(units), Dense.of(10).activation(Activation.SOFTMAX));
        m.compile(Adam.of(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        SplittableRandom rng = new SplittableRandom(1);
        float[] xs = new float[batch * steps * features];
        float[] ys = new float[batch];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = (float) rng.nextDouble();
        }
        for (int i = 0; i < ys.length; i++) {
            ys[i] = rng.nextInt(10);
        }
        List<Model.LayerTiming> t = m.profileLayers(new ArrayDataset(xs, Shape.of(steps, features), ys, 1), batch, repeats);
        Model.LayerTiming lstm = t.stream().filter(l -> l.type().equals("LSTM")).findFirst().orElseThrow();
        System.out.printf(Locale.ROOT, "batch %d, %d steps x %d features, %d units, %d repeats%n", batch, steps, features, units, repeats);
        System.out.printf(Locale.ROOT, "libnd4j lstmLayer     forward %7.2f ms  backward (lstmLayer_bp) %7.2f ms  total %7.2f ms%n", f, bw, f + bw);
        System.out.printf(Locale.ROOT, "dlkit LSTM (GEMMs)    forward %7.2f ms  backward                %7.2f ms  total %7.2f ms%n",
                lstm.forwardMs(), lstm.backwardMs(), lstm.forwardMs() + lstm.backwardMs());
    }

    private static int[] toInts(long[] v) {
        int[] o = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = (int) v[i];
        }
        return o;
    }

    private static Double[] toObjects(double[] v) {
        Double[] o = new Double[v.length];
        for (int i = 0; i < v.length; i++) {
            o[i] = v[i];
        }
        return o;
    }

    private static double time(Runnable r, int repeats) {
        for (int i = 0; i < 3; i++) {
            r.run();
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < repeats; i++) {
            r.run();
        }
        return (System.nanoTime() - t0) / 1e6 / repeats;
    }
}
