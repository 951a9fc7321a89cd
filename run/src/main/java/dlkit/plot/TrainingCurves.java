package dlkit.plot;

import de.erichseifert.vectorgraphics2d.Document;
import de.erichseifert.vectorgraphics2d.Processors;
import de.erichseifert.vectorgraphics2d.VectorGraphics2D;
import de.erichseifert.vectorgraphics2d.util.PageSize;
import dlkit.DlkitException;
import dlkit.files.AtomicFile;
import dlkit.files.InputFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jspecify.annotations.NonNull;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Loss and each metric per epoch, training and validation in one panel per quantity, drawn with XChart into
 * {@code training.png} and {@code training.svg}; also readable back from a run's {@code history.csv}.
 */
public final class TrainingCurves {
    static final int PANEL_WIDTH = 480;
    static final int PANEL_HEIGHT = 360;

    private TrainingCurves() {}

    /** One chart per quantity (loss, accuracy, …), with its {@code val_} twin in the same chart. */
    public static @NonNull List<XYChart> charts(@NonNull Map<String, List<Double>> history) {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        List<XYChart> charts = new ArrayList<>();
        for (String key : history.keySet()) {
            if (key.startsWith("val_") && history.containsKey(key.substring(4))) {
                continue;
            }
            XYChart c = new XYChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(key).xAxisTitle("epoch").yAxisTitle(key).build();
            // Losses fall and scores rise: keep the legend in the corner the curves leave empty.
            boolean falling = key.contains("loss") || key.contains("error") || key.equals("mse") || key.equals("mae");
            c.getStyler().setLegendPosition(falling ? Styler.LegendPosition.InsideNE : Styler.LegendPosition.InsideSE);
            c.getStyler().setChartBackgroundColor(Color.WHITE);
            c.getStyler().setDecimalPattern("#0.####");
            c.getStyler().setXAxisDecimalPattern("#0");
            add(c, key.startsWith("val_") ? key : "train " + key, history.get(key));
            if (history.containsKey("val_" + key)) {
                add(c, "validation " + key, history.get("val_" + key));
            }
            charts.add(c);
        }
        return charts;
    }

    private static void add(XYChart c, String name, List<Double> values) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            if (Double.isFinite(values.get(i))) {
                xs.add(i + 1.0);
                ys.add(values.get(i));
            }
        }
        if (xs.isEmpty()) {
            return;
        }
        XYSeries s = c.addSeries(name, xs, ys);
        s.setMarker(SeriesMarkers.CIRCLE);
    }

    /** The charts side by side, up to three per row. */
    public static @NonNull BufferedImage image(@NonNull Map<String, List<Double>> history) {
        List<XYChart> charts = charts(history);
        int cols = Math.max(1, Math.min(3, charts.size()));
        int rows = Math.max(1, (charts.size() + cols - 1) / cols);
        BufferedImage img = new BufferedImage(cols * PANEL_WIDTH, rows * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        paint(g, charts, cols);
        g.dispose();
        return img;
    }

    private static void paint(Graphics2D g, List<XYChart> charts, int cols) {
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D p = (Graphics2D) g.create((i % cols) * PANEL_WIDTH, (i / cols) * PANEL_HEIGHT, PANEL_WIDTH, PANEL_HEIGHT);
            charts.get(i).paint(p, PANEL_WIDTH, PANEL_HEIGHT);
            p.dispose();
        }
    }

    /** Writes {@code dir/training.png} and {@code dir/training.svg} (each through a temp file); returns the PNG path. */
    public static @NonNull Path write(@NonNull Map<String, List<Double>> history, @NonNull Path dir) {
        if (history.isEmpty()) {
            throw new DlkitException("no training history to plot in " + dir);
        }
        BufferedImage img = image(history);
        Path png = dir.resolve("training.png");
        AtomicFile.write(png, o -> ImageIO.write(img, "png", o));
        List<XYChart> charts = charts(history);
        int cols = Math.max(1, Math.min(3, charts.size()));
        int rows = Math.max(1, (charts.size() + cols - 1) / cols);
        VectorGraphics2D vg = new VectorGraphics2D();
        for (int i = 0; i < charts.size(); i++) {
            Graphics2D p = (Graphics2D) vg.create();
            p.translate((i % cols) * PANEL_WIDTH, (i / cols) * PANEL_HEIGHT);
            p.clipRect(0, 0, PANEL_WIDTH, PANEL_HEIGHT);
            charts.get(i).paint(p, PANEL_WIDTH, PANEL_HEIGHT);
            p.dispose();
        }
        Document doc = Processors.get("svg").getDocument(vg.getCommands(), new PageSize(0, 0, cols * PANEL_WIDTH, rows * PANEL_HEIGHT));
        AtomicFile.write(dir.resolve("training.svg"), doc::writeTo);
        return png;
    }

    /** Reads a run's {@code history.csv} (epoch column first) into columns by name. */
    public static @NonNull Map<String, List<Double>> readHistory(@NonNull Path csv) {
        if (!Files.exists(csv)) {
            throw new DlkitException(csv + ": no such file (a run directory holds history.csv after dl train)");
        }
        List<String> lines = InputFiles.readString(csv, InputFiles.MAX_CONFIG_BYTES, "history.csv").lines().toList();
        if (lines.isEmpty() || !lines.get(0).startsWith("epoch")) {
            throw new DlkitException(csv + ": expected a header line starting with \"epoch\"");
        }
        String[] header = lines.get(0).split(",", -1);
        Map<String, List<Double>> m = new LinkedHashMap<>();
        for (int j = 1; j < header.length; j++) {
            m.put(header[j], new ArrayList<>());
        }
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            String[] cells = lines.get(i).split(",", -1);
            if (cells.length != header.length) {
                throw new DlkitException(csv + ": line " + (i + 1) + " has " + cells.length + " columns, the header " + header.length);
            }
            for (int j = 1; j < header.length; j++) {
                try {
                    m.get(header[j]).add(cells[j].isEmpty() ? Double.NaN : Double.parseDouble(cells[j]));
                } catch (NumberFormatException e) {
                    throw new DlkitException(csv + ": line " + (i + 1) + ", column \"" + header[j] + "\": not a number: \"" + cells[j] + "\"");
                }
            }
        }
        return m;
    }
}
