package dlkit.plot;

import dlkit.DlkitException;
import dlkit.files.AtomicFile;
import dlkit.model.Model;
import dlkit.tensor.Shape;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.jspecify.annotations.NonNull;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An autoencoder's inputs above its reconstructions, as a grey-scale PNG grid: one column per sample. Pixels are
 * drawn on the inputs' own range, so a reconstruction that over- or undershoots shows as clipped.
 */
public final class ReconstructionGrid {
    private static final int SCALE = 3;
    private static final int GAP = 4;
    private static final int LABEL = 110;

    private ReconstructionGrid() {}

    /** {@code inputs} and {@code outputs}: {@code [n, height, width]} or {@code [n, height, width, 1]}. */
    public static @NonNull BufferedImage draw(@NonNull INDArray inputs, @NonNull INDArray outputs) {
        return draw(List.of(inputs, outputs), List.of("input", "reconstruction"));
    }

    /**
     * Rows of grey-scale images ({@code [n, height, width(, 1)]} each, the same n), each row labelled, all drawn on the
     * first row's value range.
     */
    public static @NonNull BufferedImage draw(@NonNull List<INDArray> rows, @NonNull List<String> labels) {
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        INDArray first = rows.get(0);
        for (INDArray r : rows) {
            if (r.rank() < 3 || r.rank() > 4 || (r.rank() == 4 && r.size(3) != 1) || r.length() != first.length()) {
                throw new DlkitException("an image grid needs grey-scale images [n, height, width(, 1)] of one shape in every row, got "
                        + java.util.Arrays.toString(first.shape()) + " and " + java.util.Arrays.toString(r.shape()));
            }
        }
        int n = (int) first.size(0);
        int h = (int) first.size(1);
        int w = (int) first.size(2);
        float[][] px = new float[rows.size()][];
        for (int i = 0; i < px.length; i++) {
            px[i] = rows.get(i).castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).dup('c').data().asFloat();
        }
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (float v : px[0]) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        float span = hi > lo ? hi - lo : 1;
        int cw = w * SCALE + GAP;
        int ch = h * SCALE + GAP;
        BufferedImage img = new BufferedImage(LABEL + n * cw + GAP, rows.size() * ch + GAP, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int row = 0; row < rows.size(); row++) {
            g.drawString(row < labels.size() ? labels.get(row) : "", 8, GAP + row * ch + ch / 2 + 4);
            for (int s = 0; s < n; s++) {
                int x0 = LABEL + s * cw;
                int y0 = GAP + row * ch;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        float v = (px[row][(s * h + y) * w + x] - lo) / span;
                        int grey = Math.max(0, Math.min(255, Math.round(255 * (1 - v))));
                        int rgb = (grey << 16) | (grey << 8) | grey;
                        for (int dy = 0; dy < SCALE; dy++) {
                            for (int dx = 0; dx < SCALE; dx++) {
                                img.setRGB(x0 + x * SCALE + dx, y0 + y * SCALE + dy, rgb);
                            }
                        }
                    }
                }
            }
        }
        g.dispose();
        return img;
    }

    /**
     * Runs the first {@code n} samples of {@code samples} through {@code model} and writes the grid to {@code png}
     * (temp file, then rename).
     */
    public static void write(@NonNull Model model, @NonNull INDArray samples, int n, @NonNull Path png) {
        Shape in = model.inputShape();
        if (!model.outputShape().equals(in)) {
            throw new DlkitException("a reconstruction grid needs a model whose output has its input's shape; model '" + model.name()
                    + "' maps " + in.withBatch() + " to " + model.outputShape().withBatch());
        }
        int k = (int) Math.min(n, samples.size(0));
        INDArray x = samples.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, k)).dup();
        INDArray y = model.predict(x);
        BufferedImage img = draw(x, y);
        AtomicFile.write(png, o -> ImageIO.write(img, "png", o));
    }
}
