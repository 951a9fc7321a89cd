package dlkit.model;

import dlkit.layers.Layer;
import java.util.Locale;

/** Renders Keras 3's summary table. */
final class Summary {
    private Summary() {}

    static String render(Model m) {
        int w1 = 33;
        int w2 = 24;
        int w3 = 15;
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"").append(m.name()).append("\"\n");
        sb.append('┏').append("━".repeat(w1)).append('┳').append("━".repeat(w2)).append('┳').append("━".repeat(w3)).append("┓\n");
        sb.append('┃').append(pad(" Layer (type)", w1)).append('┃').append(pad(" Output Shape", w2)).append('┃').append(padLeft("Param # ", w3)).append("┃\n");
        sb.append('┡').append("━".repeat(w1)).append('╇').append("━".repeat(w2)).append('╇').append("━".repeat(w3)).append("┩\n");
        for (int i = 1; i < m.layers().size(); i++) {
            Layer l = m.layers().get(i);
            if (i > 1) {
                sb.append('├').append("─".repeat(w1)).append('┼').append("─".repeat(w2)).append('┼').append("─".repeat(w3)).append("┤\n");
            }
            sb.append('│').append(pad(" " + l.name() + " (" + l.type() + ")", w1)).append('│')
                    .append(pad(" " + m.layerOutputShapes().get(i).withBatch(), w2)).append('│')
                    .append(padLeft(String.format(Locale.ROOT, "%,d ", m.paramCount(i)), w3)).append("│\n");
        }
        sb.append('└').append("─".repeat(w1)).append('┴').append("─".repeat(w2)).append('┴').append("─".repeat(w3)).append("┘\n");
        long total = m.paramCount();
        long trainable = m.trainableParamCount();
        int bytes = m.dtype().bytes();
        sb.append(String.format(Locale.ROOT, " Total params: %,d (%s)%n", total, bytes(total * bytes)));
        sb.append(String.format(Locale.ROOT, " Trainable params: %,d (%s)%n", trainable, bytes(trainable * bytes)));
        sb.append(String.format(Locale.ROOT, " Non-trainable params: %,d (%s)%n", total - trainable, bytes((total - trainable) * bytes)));
        return sb.toString();
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s.substring(0, w - 1) + "…" : s + " ".repeat(w - s.length());
    }

    private static String padLeft(String s, int w) {
        return s.length() >= w ? s : " ".repeat(w - s.length()) + s;
    }

    static String bytes(long b) {
        if (b < 1024) {
            return String.format(Locale.ROOT, "%.2f B", (double) b);
        }
        if (b < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.2f KB", b / 1024.0);
        }
        return String.format(Locale.ROOT, "%.2f MB", b / (1024.0 * 1024));
    }
}
