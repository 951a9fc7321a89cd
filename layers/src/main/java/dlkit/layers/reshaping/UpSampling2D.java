package dlkit.layers.reshaping;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dlkit.config.Json;
import dlkit.layers.AbstractLayer;
import dlkit.layers.BuildContext;
import dlkit.layers.ConfigBuilder;
import dlkit.layers.DataFormat;
import dlkit.layers.Kernel;
import dlkit.layers.LayerConfig;
import dlkit.layers.LayerType;
import dlkit.layers.internal.Sizes;
import dlkit.tensor.Buf;
import dlkit.tensor.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.NonNull;
import org.jspecify.annotations.Nullable;

/**
 * Enlarges a channels-last image {@code size = [rows, cols]} times: {@code "nearest"} (Keras' default) repeats each
 * pixel, {@code "bilinear"} interpolates between pixel centres (half-pixel alignment with edge clamping, as Keras'
 * {@code image.resize}). The backward pass sends each output gradient back to the pixels it was made from, with the
 * same weights.
 */
public final class UpSampling2D extends AbstractLayer<UpSampling2D.Config, UpSampling2D.Builder, UpSampling2D> {
    /** How new pixels get their values. */
    public enum Interpolation {
        NEAREST,
        BILINEAR;

        @JsonValue
        public @NonNull String jsonName() {
            return Json.enumName(this);
        }

        @JsonCreator
        public static @NonNull Interpolation fromJson(@NonNull String name) {
            return Json.enumValue(Interpolation.class, name, "interpolation");
        }
    }

    public record Config(@Nullable String name, @NonNull List<Integer> size, @NonNull DataFormat dataFormat,
                         @NonNull Interpolation interpolation) implements LayerConfig {
        public Config {
            size = Sizes.pair("size", size);
            Objects.requireNonNull(dataFormat, "data_format");
            Objects.requireNonNull(interpolation, "interpolation");
        }
    }

    public static final class Builder extends ConfigBuilder<Config> {
        public Builder() {
            super(Config.class);
        }

        public List<Integer> size = List.of(2, 2);
        public DataFormat dataFormat = DataFormat.CHANNELS_LAST;
        public Interpolation interpolation = Interpolation.NEAREST;
    }

    public static final LayerType<Config, Builder, UpSampling2D> TYPE = new LayerType<>("UpSampling2D", Builder::new, Set.of(),
            UpSampling2D::new);

    public UpSampling2D(@NonNull Config config) {
        super(TYPE, config);
    }

    public static @NonNull UpSampling2D of(int size) {
        return of(size, size);
    }

    public static @NonNull UpSampling2D of(int rows, int cols) {
        return TYPE.with(b -> b.size = List.of(rows, cols));
    }

    public @NonNull UpSampling2D interpolation(@NonNull Interpolation interpolation) {
        return change(b -> b.interpolation = interpolation);
    }

    /** By Keras' name: "nearest" or "bilinear". */
    public @NonNull UpSampling2D interpolation(@NonNull String interpolation) {
        try {
            return interpolation(Interpolation.fromJson(interpolation));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("interpolation: " + e.getMessage(), e);
        }
    }

    @Override
    public Shape outputShape(Shape input) {
        Sizes.requireImage(type(), name(), input);
        return Shape.of(input.dim(0) * config().size().get(0), input.dim(1) * config().size().get(1), input.dim(2));
    }

    @Override
    public Kernel compile(BuildContext ctx) {
        return config().interpolation() == Interpolation.BILINEAR ? compileBilinear(ctx) : compileNearest(ctx);
    }

    /** Source pixel pairs and the second one's weight for each output coordinate along one axis. */
    record Taps(int[] lo, int[] hi, double[] w) {
        static Taps of(int in, int scale) {
            int out = in * scale;
            int[] lo = new int[out];
            int[] hi = new int[out];
            double[] w = new double[out];
            for (int o = 0; o < out; o++) {
                double src = Math.max(0, (o + 0.5) / scale - 0.5);
                int i0 = Math.min((int) Math.floor(src), in - 1);
                lo[o] = i0;
                hi[o] = Math.min(i0 + 1, in - 1);
                w[o] = Math.min(src - i0, 1);
            }
            return new Taps(lo, hi, w);
        }
    }

    private Kernel compileBilinear(BuildContext ctx) {
        Shape in = ctx.inputShape();
        int iw = in.dim(1);
        int ch = in.dim(2);
        Taps ty = Taps.of(in.dim(0), config().size().get(0));
        Taps tx = Taps.of(iw, config().size().get(1));
        int oh = ty.w().length;
        int ow = tx.w().length;
        int inSize = in.size();
        int outSize = ctx.outputShape().size();
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        double[] src = new double[ctx.maxBatch() * inSize];
        double[] dst = new double[ctx.maxBatch() * outSize];
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                x.get(0, src, 0, n * inSize);
                for (int b = 0; b < n; b++) {
                    for (int oy = 0; oy < oh; oy++) {
                        int r0 = b * inSize + ty.lo()[oy] * iw * ch;
                        int r1 = b * inSize + ty.hi()[oy] * iw * ch;
                        double wy = ty.w()[oy];
                        for (int ox = 0; ox < ow; ox++) {
                            int c0 = tx.lo()[ox] * ch;
                            int c1 = tx.hi()[ox] * ch;
                            double wx = tx.w()[ox];
                            int o = b * outSize + (oy * ow + ox) * ch;
                            for (int k = 0; k < ch; k++) {
                                double top = (1 - wx) * src[r0 + c0 + k] + wx * src[r0 + c1 + k];
                                double bottom = (1 - wx) * src[r1 + c0 + k] + wx * src[r1 + c1 + k];
                                dst[o + k] = (1 - wy) * top + wy * bottom;
                            }
                        }
                    }
                }
                y.put(0, dst, 0, n * outSize);
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                dy.get(0, dst, 0, n * outSize);
                Arrays.fill(src, 0, n * inSize, 0.0);
                for (int b = 0; b < n; b++) {
                    for (int oy = 0; oy < oh; oy++) {
                        int r0 = b * inSize + ty.lo()[oy] * iw * ch;
                        int r1 = b * inSize + ty.hi()[oy] * iw * ch;
                        double wy = ty.w()[oy];
                        for (int ox = 0; ox < ow; ox++) {
                            int c0 = tx.lo()[ox] * ch;
                            int c1 = tx.hi()[ox] * ch;
                            double wx = tx.w()[ox];
                            int o = b * outSize + (oy * ow + ox) * ch;
                            for (int k = 0; k < ch; k++) {
                                double g = dst[o + k];
                                src[r0 + c0 + k] += (1 - wy) * (1 - wx) * g;
                                src[r0 + c1 + k] += (1 - wy) * wx * g;
                                src[r1 + c0 + k] += wy * (1 - wx) * g;
                                src[r1 + c1 + k] += wy * wx * g;
                            }
                        }
                    }
                }
                dx.put(0, src, 0, n * inSize);
            }
        };
    }

    private Kernel compileNearest(BuildContext ctx) {
        Shape in = ctx.inputShape();
        int ih = in.dim(0);
        int iw = in.dim(1);
        int ch = in.dim(2);
        int sh = config().size().get(0);
        int sw = config().size().get(1);
        int ow = iw * sw;
        int inSize = in.size();
        int outSize = ctx.outputShape().size();
        Buf x = ctx.input();
        Buf y = ctx.output();
        Buf dy = ctx.outputGrad();
        @Nullable Buf dx = ctx.inputGrad();
        double[] g = dx != null ? new double[ctx.maxBatch() * outSize] : null;
        double[] acc = dx != null ? new double[ctx.maxBatch() * inSize] : null;
        return new Kernel() {
            @Override
            public void forward(int n, boolean training, long step) {
                for (int b = 0; b < n; b++) {
                    for (int oy = 0; oy < ih * sh; oy++) {
                        int rowIn = b * inSize + (oy / sh) * iw * ch;
                        int rowOut = b * outSize + oy * ow * ch;
                        for (int ox = 0; ox < ow; ox++) {
                            y.copyFrom(x, rowIn + (ox / sw) * ch, rowOut + ox * ch, ch);
                        }
                    }
                }
            }

            @Override
            public void backward(int n) {
                if (dx == null) {
                    return;
                }
                dy.get(0, g, 0, n * outSize);
                Arrays.fill(acc, 0, n * inSize, 0.0);
                for (int b = 0; b < n; b++) {
                    for (int oy = 0; oy < ih * sh; oy++) {
                        int rowIn = b * inSize + (oy / sh) * iw * ch;
                        int rowOut = b * outSize + oy * ow * ch;
                        for (int ox = 0; ox < ow; ox++) {
                            int src = rowOut + ox * ch;
                            int dst = rowIn + (ox / sw) * ch;
                            for (int k = 0; k < ch; k++) {
                                acc[dst + k] += g[src + k];
                            }
                        }
                    }
                }
                dx.put(0, acc, 0, n * inSize);
            }
        };
    }
}
