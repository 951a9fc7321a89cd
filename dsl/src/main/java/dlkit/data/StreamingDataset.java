package dlkit.data;

import dlkit.DlkitException;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Iterator;
import java.util.function.Supplier;

/** Batches from an iterator, re-chunked to the model's batch size; order is the iterator's. */
final class StreamingDataset implements Dataset {
    private final Shape featureShape;
    private final int labelWidth;
    private final Supplier<Iterator<Batch>> source;

    StreamingDataset(Shape featureShape, int labelWidth, Supplier<Iterator<Batch>> source) {
        this.featureShape = featureShape;
        this.labelWidth = labelWidth;
        this.source = source;
    }

    @Override
    public Shape featureShape() {
        return featureShape;
    }

    @Override
    public int labelWidth() {
        return labelWidth;
    }

    @Override
    public long size() {
        return -1;
    }

    @Override
    public Cursor cursor(boolean shuffle, long seed, int epoch) {
        Iterator<Batch> it = source.get();
        int f = featureShape.size();
        return new Cursor() {
            private Batch current;
            private int offset;
            private long batches;

            @Override
            public int next(Buf xb, float[] yb, int maxRows) {
                int filled = 0;
                while (filled < maxRows) {
                    if (current == null || offset == current.n()) {
                        if (!it.hasNext()) {
                            break;
                        }
                        current = it.next();
                        offset = 0;
                        batches++;
                        if (current.x().length != current.n() * f || current.y().length != current.n() * labelWidth) {
                            throw new DlkitException("streamed batch " + batches + ": expected " + current.n() + " samples of "
                                    + f + " features and " + labelWidth + " labels, got " + current.x().length + " feature and "
                                    + current.y().length + " label values");
                        }
                        continue;
                    }
                    int n = Math.min(maxRows - filled, current.n() - offset);
                    xb.put(filled * f, current.x(), offset * f, n * f);
                    System.arraycopy(current.y(), offset * labelWidth, yb, filled * labelWidth, n * labelWidth);
                    offset += n;
                    filled += n;
                }
                return filled;
            }
        };
    }
}
