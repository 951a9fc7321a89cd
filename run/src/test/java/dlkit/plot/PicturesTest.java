package dlkit.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dlkit.DlkitException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pictures a run draws: training curves (and the history.csv they are redrawn from) and the confusion matrix. */
class PicturesTest {
    @TempDir
    Path dir;

    @Test
    void trainingCurvesWritePngAndSvgAndReadHistoryCsv() throws Exception {
        Map<String, List<Double>> hist = Map.of("loss", List.of(1.0, 0.5, 0.4), "val_loss", List.of(1.1, 0.7, 0.6),
                "accuracy", List.of(0.5, 0.8, 0.9), "val_accuracy", List.of(0.4, 0.7, 0.8));
        Path png = TrainingCurves.write(new java.util.LinkedHashMap<>(hist), dir);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * TrainingCurves.PANEL_WIDTH, img.getWidth(), "two panels: loss and accuracy");
        String svg = Files.readString(dir.resolve("training.svg"));
        // XChart draws text as glyph outlines, so the SVG is checked by its size and drawing, not its words.
        assertTrue(svg.contains("<svg") && svg.contains("viewBox=\"0 0 " + 2 * TrainingCurves.PANEL_WIDTH + " " + TrainingCurves.PANEL_HEIGHT + "\""), svg.substring(0, 400));
        assertTrue(svg.split("<path").length > 50, "curves, axes and lettering drawn");

        Path csv = dir.resolve("history.csv");
        Files.writeString(csv, "epoch,loss,val_loss\n1,0.9,1.0\n2,0.5,0.7\n");
        assertEquals(Map.of("loss", List.of(0.9, 0.5), "val_loss", List.of(1.0, 0.7)), TrainingCurves.readHistory(csv));
        Files.writeString(csv, "epoch,loss\n1,abc\n");
        DlkitException e = assertThrows(DlkitException.class, () -> TrainingCurves.readHistory(csv));
        assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("abc"), e.getMessage());
    }

    @Test
    void confusionMatrixHeatMapShadesByShareOfTheRow() throws Exception {
        dlkit.metrics.ConfusionMatrix cm = new dlkit.metrics.ConfusionMatrix(3);
        cm.add(0, 0, 90);
        cm.add(0, 1, 10);
        cm.add(1, 1, 50);
        cm.add(2, 0, 25);
        cm.add(2, 2, 25);
        Path png = dir.resolve("cm.png");
        ConfusionMatrixImage.write(cm, List.of("a", "b", "c"), png);
        BufferedImage img = ImageIO.read(png.toFile());
        int side = ConfusionMatrixImage.MARGIN + 3 * ConfusionMatrixImage.CELL + 20;
        assertEquals(side, img.getWidth());
        // Sample each cell's corner (away from its number): a full row is darkest, an empty cell white.
        java.util.function.BiFunction<Integer, Integer, Integer> blue = (t, p) -> img.getRGB(
                ConfusionMatrixImage.MARGIN + p * ConfusionMatrixImage.CELL + 3, ConfusionMatrixImage.MARGIN + t * ConfusionMatrixImage.CELL + 3) & 0xFFFFFF;
        assertEquals(ConfusionMatrixImage.shade(1.0).getRGB() & 0xFFFFFF, blue.apply(1, 1));
        assertEquals(ConfusionMatrixImage.shade(0.9).getRGB() & 0xFFFFFF, blue.apply(0, 0));
        assertEquals(ConfusionMatrixImage.shade(0.5).getRGB() & 0xFFFFFF, blue.apply(2, 2));
        assertEquals(0xFFFFFF, blue.apply(1, 0));
    }
}
