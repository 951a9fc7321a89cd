package dlkit.plot;

import dlkit.layers.Layer;
import dlkit.model.Model;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.NonNull;

/**
 * A model's layers and connections as a picture: Graphviz {@code dot} source, or an SVG laid out here (layers in rows
 * by their distance from the inputs) so drawing one needs no Graphviz installed.
 */
public final class GraphPicture {
    private static final int BOX_W = 230;
    private static final int BOX_H = 46;
    private static final int GAP_X = 30;
    private static final int GAP_Y = 42;
    private static final int MARGIN = 20;

    private GraphPicture() {}

    /** Graphviz source: one box per layer (name, type, output shape), one edge per input of every call. */
    public static @NonNull String dot(@NonNull Model m) {
        StringBuilder sb = new StringBuilder();
        sb.append("digraph \"").append(esc(m.name())).append("\" {\n");
        sb.append("  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", fontname=\"Helvetica\"];\n");
        for (int i = 0; i < m.layers().size(); i++) {
            Layer l = m.layers().get(i);
            sb.append("  \"").append(esc(l.name())).append("\" [label=\"").append(esc(l.name())).append(" (").append(l.type()).append(")\\n")
                    .append(m.layerOutputShapes().get(i).withBatch()).append("\"];\n");
        }
        for (int i = 0; i < m.layers().size(); i++) {
            for (List<String> call : m.callInputs(i)) {
                for (String t : call) {
                    sb.append("  \"").append(esc(layerOf(t))).append("\" -> \"").append(esc(m.layers().get(i).name())).append("\"");
                    if (t.contains(":") || t.contains("#")) {
                        sb.append(" [label=\"").append(esc(t)).append("\"]");
                    }
                    sb.append(";\n");
                }
            }
        }
        return sb.append("}\n").toString();
    }

    /** The same graph as a standalone SVG. */
    public static @NonNull String svg(@NonNull Model m) {
        int n = m.layers().size();
        int[] row = new int[n];
        List<List<Integer>> sources = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Integer> src = new ArrayList<>();
            for (List<String> call : m.callInputs(i)) {
                for (String t : call) {
                    src.add(indexOf(m, layerOf(t)));
                }
            }
            sources.add(src);
        }
        // A row below every source. A shared layer's later call can read a layer listed after it, so relax until
        // stable; the cap keeps a layer that (through its calls) reads its own output from climbing forever.
        for (boolean changed = true; changed; ) {
            changed = false;
            for (int i = 0; i < n; i++) {
                for (int s : sources.get(i)) {
                    if (s != i && row[s] + 1 > row[i] && row[s] + 1 < n) {
                        row[i] = row[s] + 1;
                        changed = true;
                    }
                }
            }
        }
        int rows = 0;
        for (int r : row) {
            rows = Math.max(rows, r + 1);
        }
        int[] col = new int[n];
        int[] perRow = new int[rows];
        for (int i = 0; i < n; i++) {
            col[i] = perRow[row[i]]++;
        }
        int widest = 0;
        for (int c : perRow) {
            widest = Math.max(widest, c);
        }
        int width = 2 * MARGIN + widest * BOX_W + (widest - 1) * GAP_X + 2 * 70; // room for connections that bend out
        int height = 2 * MARGIN + rows * BOX_H + (rows - 1) * GAP_Y;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            int count = perRow[row[i]];
            double rowWidth = count * BOX_W + (count - 1) * GAP_X;
            x[i] = (width - rowWidth) / 2 + col[i] * (BOX_W + GAP_X);
            y[i] = MARGIN + row[i] * (BOX_H + GAP_Y);
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                + " font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">%n", width, height, width, height));
        sb.append("<title>").append(xml(m.name())).append("</title>\n");
        sb.append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
                + "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#556\"/></marker></defs>\n");
        for (int i = 0; i < n; i++) {
            for (int s : sources.get(i)) {
                if (row[i] - row[s] > 1) {
                    // A connection that skips rows bends out to the right, around the boxes in between.
                    double x1 = x[s] + BOX_W;
                    double y1 = y[s] + BOX_H / 2.0;
                    double x2 = x[i] + BOX_W;
                    double y2 = y[i] + BOX_H / 2.0;
                    double right = Math.max(x1, x2);
                    for (int k = 0; k < n; k++) {
                        if (row[k] > row[s] && row[k] < row[i]) {
                            right = Math.max(right, x[k] + BOX_W);
                        }
                    }
                    double out = right + 24 + 14 * Math.min(3, row[i] - row[s] - 2);
                    double r = 10;
                    sb.append(String.format(Locale.ROOT, "<path d=\"M%.1f,%.1f H%.1f Q%.1f,%.1f %.1f,%.1f V%.1f Q%.1f,%.1f %.1f,%.1f H%.1f\" fill=\"none\""
                                    + " stroke=\"#556\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/>%n",
                            x1, y1, out - r, out, y1, out, y1 + r, y2 - r, out, y2, out - r, y2, x2));
                    continue;
                }
                double x1 = x[s] + BOX_W / 2.0;
                double y1 = y[s] + BOX_H;
                double x2 = x[i] + BOX_W / 2.0;
                double y2 = y[i];
                double mid = (y1 + y2) / 2;
                sb.append(String.format(Locale.ROOT, "<path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"none\" stroke=\"#556\""
                        + " stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/>%n", x1, y1, x1, mid, x2, mid, x2, y2));
            }
        }
        for (int i = 0; i < n; i++) {
            Layer l = m.layers().get(i);
            boolean input = sources.get(i).isEmpty();
            sb.append(String.format(Locale.ROOT, "<g><rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"7\" fill=\"%s\" stroke=\"#6a7fa8\"/>%n",
                    x[i], y[i], BOX_W, BOX_H, input ? "#fdf1dc" : "#eef3fb"));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-weight=\"bold\">%s (%s)</text>%n",
                    x[i] + BOX_W / 2.0, y[i] + 19, xml(l.name()), xml(l.type())));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#445\">%s</text></g>%n",
                    x[i] + BOX_W / 2.0, y[i] + 36, xml(m.layerOutputShapes().get(i).withBatch())));
        }
        return sb.append("</svg>\n").toString();
    }

    private static String layerOf(String tensor) {
        String t = tensor.contains("#") ? tensor.substring(0, tensor.lastIndexOf('#')) : tensor;
        int c = t.lastIndexOf(':');
        return c < 0 ? t : t.substring(0, c);
    }

    private static int indexOf(Model m, String layer) {
        for (int i = 0; i < m.layers().size(); i++) {
            if (m.layers().get(i).name().equals(layer)) {
                return i;
            }
        }
        throw new IllegalStateException("no layer " + layer);
    }

    private static String esc(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
