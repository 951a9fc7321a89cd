package dlkit.model;

import dlkit.layers.Layer;
import java.util.Locale;

/** Renders Keras 3's summary table. */
final class Summary {
    private Summary() {}

    static String render(Model m) {
        return m.isFunctional() ? renderGraph(m) : renderStack(m);
    }

    /** Keras' functional table: every layer (Inputs too) and, in a fourth column, the tensors each call reads. */
    private static String renderGraph(Model m) {
        int w1 = 29;
        int w2 = 20;
        int w3 = 11;
        int w4 = 22;
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"").append(m.name()).append("\"\n");
        sb.append('┏').append("━".repeat(w1)).append('┳').append("━".repeat(w2)).append('┳').append("━".repeat(w3)).append('┳').append("━".repeat(w4)).append("┓\n");
        sb.append('┃').append(pad(" Layer (type)", w1)).append('┃').append(pad(" Output Shape", w2)).append('┃').append(padLeft("Param # ", w3))
                .append('┃').append(pad(" Connected to", w4)).append("┃\n");
        sb.append('┡').append("━".repeat(w1)).append('╇').append("━".repeat(w2)).append('╇').append("━".repeat(w3)).append('╇').append("━".repeat(w4)).append("┩\n");
        for (int i = 0; i < m.layers().size(); i++) {
            Layer l = m.layers().get(i);
            if (i > 0) {
                sb.append('├').append("─".repeat(w1)).append('┼').append("─".repeat(w2)).append('┼').append("─".repeat(w3)).append('┼').append("─".repeat(w4)).append("┤\n");
            }
            java.util.List<String> from = new java.util.ArrayList<>();
            for (java.util.List<String> call : m.callInputs(i)) {
                from.addAll(call);
            }
            if (from.isEmpty()) {
                from.add("-");
            }
            for (int k = 0; k < from.size(); k++) {
                boolean first = k == 0;
                sb.append('│').append(pad(first ? " " + l.name() + " (" + l.type() + ")" : "", w1)).append('│')
                        .append(pad(first ? " " + m.layerOutputShapes().get(i).withBatch() : "", w2)).append('│')
                        .append(padLeft(first ? String.format(Locale.ROOT, "%,d ", m.paramCount(i)) : "", w3)).append('│')
                        .append(pad(" " + from.get(k), w4)).append("│\n");
            }
        }
        sb.append('└').append("─".repeat(w1)).append('┴').append("─".repeat(w2)).append('┴').append("─".repeat(w3)).append('┴').append("─".repeat(w4)).append("┘\n");
        totals(m, sb);
        return sb.toString();
    }

    private static String renderStack(Model m) {
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
        totals(m, sb);
        return sb.toString();
    }

    private static void totals(Model m, StringBuilder sb) {
        long total = m.paramCount();
        long trainable = m.trainableParamCount();
        int bytes = m.dtype().bytes();
        sb.append(String.format(Locale.ROOT, " Total params: %,d (%s)%n", total, bytes(total * bytes)));
        sb.append(String.format(Locale.ROOT, " Trainable params: %,d (%s)%n", trainable, bytes(trainable * bytes)));
        sb.append(String.format(Locale.ROOT, " Non-trainable params: %,d (%s)%n", total - trainable, bytes((total - trainable) * bytes)));
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
