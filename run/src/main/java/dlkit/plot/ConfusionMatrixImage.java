package dlkit.plot;

import dlkit.files.AtomicFile;
import dlkit.metrics.ConfusionMatrix;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jspecify.annotations.NonNull;

/**
 * A confusion matrix as a heat map: rows are true classes, columns predictions, each cell shaded by its share of the
 * row (recall on the diagonal) and labelled with its count.
 */
public final class ConfusionMatrixImage {
    static final int CELL = 44;
    static final int MARGIN = 110;

    private ConfusionMatrixImage() {}

    /** {@code labels}: one name per class, or empty for the class indices. */
    public static @NonNull BufferedImage draw(@NonNull ConfusionMatrix cm, @NonNull List<String> labels) {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        int k = cm.classes();
        int size = MARGIN + k * CELL + 20;
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, size, size);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        FontMetrics fm = g.getFontMetrics();
        for (int t = 0; t < k; t++) {
            long row = 0;
            for (int p = 0; p < k; p++) {
                row += cm.count(t, p);
            }
            for (int p = 0; p < k; p++) {
                double share = row == 0 ? 0 : (double) cm.count(t, p) / row;
                g.setColor(shade(share));
                int x = MARGIN + p * CELL;
                int y = MARGIN + t * CELL;
                g.fillRect(x, y, CELL, CELL);
                g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                String s = Long.toString(cm.count(t, p));
                g.drawString(s, x + (CELL - fm.stringWidth(s)) / 2, y + (CELL + fm.getAscent()) / 2 - 2);
            }
        }
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1));
        g.drawRect(MARGIN, MARGIN, k * CELL, k * CELL);
        g.setColor(Color.BLACK);
        for (int c = 0; c < k; c++) {
            String name = c < labels.size() ? labels.get(c) : Integer.toString(c);
            g.drawString(name, MARGIN - fm.stringWidth(name) - 6, MARGIN + c * CELL + (CELL + fm.getAscent()) / 2 - 2);
            Graphics2D r = (Graphics2D) g.create();
            r.translate(MARGIN + c * CELL + (CELL + fm.getAscent()) / 2 - 2, MARGIN - 6);
            r.rotate(-Math.PI / 2);
            r.drawString(name, 0, 0);
            r.dispose();
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 12));
        g.drawString("predicted →", MARGIN, 14);
        g.drawString(String.format(Locale.ROOT, "true ↓   accuracy %.4f", cm.accuracy()), 6, 30);
        g.dispose();
        return img;
    }

    /** White through blue by share. */
    static Color shade(double share) {
        int v = (int) Math.round(255 * (1 - share));
        return new Color(v, (int) Math.round(v * 0.6 + 255 * 0.4 * (1 - share)), 255 - (int) Math.round(75 * share));
    }

    /** Writes the heat map as PNG (temp file, then rename). */
    public static void write(@NonNull ConfusionMatrix cm, @NonNull List<String> labels, @NonNull Path png) {
        BufferedImage img = draw(cm, labels);
        AtomicFile.write(png, o -> ImageIO.write(img, "png", o));
    }
}
