package dlkit.tune;

import com.fasterxml.jackson.databind.JsonNode;
import dlkit.files.AtomicFile;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** A study's pictures, drawn with XChart: the objective by trial (with the best so far), and against each setting. */
final class TunePlots {
    private static final int WIDTH = 640;
    private static final int HEIGHT = 420;

    private TunePlots() {}

    static List<Path> write(List<Trial> trials, TuneConfig tune, Path dir) {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        List<Path> out = new ArrayList<>();
        List<Trial> valued = trials.stream().filter(t -> t.value() != null).toList();
        if (valued.isEmpty()) {
            return out;
        }
        XYChart byTrial = chart("objective by trial", "trial", tune.metric());
        for (Trial.State s : new Trial.State[] {Trial.State.COMPLETE, Trial.State.PRUNED}) {
            List<Trial> these = valued.stream().filter(t -> t.state() == s).toList();
            if (!these.isEmpty()) {
                XYSeries series = byTrial.addSeries(s.name().toLowerCase(Locale.ROOT), these.stream().map(t -> (double) t.number()).toList(),
                        these.stream().map(Trial::value).toList());
                series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                series.setMarker(SeriesMarkers.CIRCLE);
            }
        }
        List<Double> xs = new ArrayList<>();
        List<Double> best = new ArrayList<>();
        Double so = null;
        for (Trial t : valued) {
            if (t.state() != Trial.State.COMPLETE) {
                continue;
            }
            so = so == null ? t.value() : tune.maximize() ? Math.max(so, t.value()) : Math.min(so, t.value());
            xs.add((double) t.number());
            best.add(so);
        }
        if (!xs.isEmpty()) {
            byTrial.addSeries("best so far", xs, best).setMarker(SeriesMarkers.NONE);
        }
        out.add(save(byTrial, dir.resolve("objective.png")));
        int k = 0;
        for (Map.Entry<String, Distribution> e : tune.space().params().entrySet()) {
            k++;
            String path = e.getKey();
            boolean choice = e.getValue() instanceof Distribution.Choice;
            XYChart c = chart(tune.metric() + " against " + path, choice ? path + " (choice number)" : path, tune.metric());
            if (e.getValue() instanceof Distribution.LogUniform) {
                c.getStyler().setXAxisLogarithmic(true);
            }
            List<Double> px = new ArrayList<>();
            List<Double> py = new ArrayList<>();
            for (Trial t : valued) {
                JsonNode v = t.params().get(path);
                if (v == null) {
                    continue;
                }
                double x = choice ? ((Distribution.Choice) e.getValue()).index(v) : v.asDouble();
                px.add(x);
                py.add(t.value());
            }
            if (px.isEmpty()) {
                continue;
            }
            XYSeries s = c.addSeries("trials", px, py);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.CIRCLE);
            String file = String.format(Locale.ROOT, "param-%d-%s.png", k, path.replaceAll("[^A-Za-z0-9_.-]+", "_"));
            out.add(save(c, dir.resolve(file)));
        }
        return out;
    }

    private static XYChart chart(String title, String x, String y) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setDecimalPattern("#0.####");
        return c;
    }

    private static Path save(XYChart c, Path png) {
        BufferedImage img = BitmapEncoder.getBufferedImage(c);
        AtomicFile.write(png, o -> ImageIO.write(img, "png", o));
        return png;
    }
}
