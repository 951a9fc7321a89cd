package dlkit.data;

import dlkit.DlkitException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.jspecify.annotations.NonNull;

/**
 * Data sets known by name. {@code fashion-mnist} and {@code mnist} are looked up in {@code $DLKIT_DATA/<name>},
 * {@code ~/.dlkit/datasets/<name>} and {@code /usr/share/datasets/<name>}; {@code digits} (UCI 8×8 handwritten
 * digits, 1,797 samples, CC BY 4.0) ships inside the jar. When the IDX files are nowhere to be found they are
 * downloaded from their official mirrors into the first of those directories (checksums verified); set
 * {@code DLKIT_DATASET_MIRROR} to a base URL to use another mirror. Images keep their raw pixel values: normalise
 * them with the config's {@code "normalize": "scale"}.
 */
public final class NamedDatasets {
    public static final List<String> NAMES = List.of("fashion-mnist", "mnist", "digits");
    private static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** Class names by label (Fashion-MNIST's article names; digits 0–9 for the others), empty for unknown sets. */
    public static @NonNull List<String> classNames(@NonNull String name) {
        return switch (name) {
            case "fashion-mnist" -> FASHION_CLASSES;
            case "mnist", "digits" -> List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
            default -> List.of();
        };
    }
    /** digits: a fixed shuffle (seed 0), then 1,437 samples (80%) train and 360 test — the same split everywhere. */
    static final int DIGITS_TRAIN = 1437;

    static final java.util.Map<String, String> MIRRORS = java.util.Map.of(
            "fashion-mnist", "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            "mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/");
    /** The published MD5s of the official files (as torchvision and the data sets' READMEs list them). */
    static final java.util.Map<String, List<Download.FileSpec>> FILES = java.util.Map.of(
            "fashion-mnist", List.of(
                    new Download.FileSpec("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                    new Download.FileSpec("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                    new Download.FileSpec("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                    new Download.FileSpec("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")),
            "mnist", List.of(
                    new Download.FileSpec("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                    new Download.FileSpec("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                    new Download.FileSpec("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                    new Download.FileSpec("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")));

    /** Where download progress goes; the CLI installs a progress bar. */
    private static volatile Download.Listener listener = Download.Listener.NONE;

    private NamedDatasets() {}

    public static void setDownloadListener(Download.@NonNull Listener l) {
        listener = l;
    }

    public static @NonNull ArrayDataset load(@NonNull String name, @NonNull String split) {
        if (!split.equals("train") && !split.equals("test")) {
            throw new IllegalArgumentException("split: expected \"train\" or \"test\", got \"" + split + "\"");
        }
        return switch (name) {
            case "fashion-mnist", "mnist" -> idx(name, split);
            case "digits" -> digits(split);
            default -> throw new IllegalArgumentException("unknown data set \"" + name + "\"; expected one of " + NAMES);
        };
    }

    public static @NonNull List<Path> searchPath(@NonNull String name) {
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("DLKIT_DATA");
        if (env != null && !env.isBlank()) {
            dirs.add(Path.of(env).resolve(name));
        }
        dirs.add(Path.of(System.getProperty("user.home"), ".dlkit", "datasets", name));
        dirs.add(Path.of("/usr/share/datasets", name));
        return dirs;
    }

    static ArrayDataset idx(String name, String split) {
        String prefix = split.equals("train") ? "train" : "t10k";
        String images = prefix + "-images-idx3-ubyte";
        String labels = prefix + "-labels-idx1-ubyte";
        for (Path dir : searchPath(name)) {
            for (String ext : new String[] {".gz", ""}) {
                Path img = dir.resolve(images + ext);
                Path lab = dir.resolve(labels + ext);
                if (Files.isRegularFile(img) && Files.isRegularFile(lab)) {
                    return Idx.dataset(img, lab, false);
                }
            }
        }
        Path target = searchPath(name).get(0);
        String mirror = System.getenv().getOrDefault("DLKIT_DATASET_MIRROR", MIRRORS.get(name));
        String downloadError;
        try {
            Download.fetch(java.net.URI.create(mirror.endsWith("/") ? mirror : mirror + "/"), FILES.get(name), target, listener);
            return Idx.dataset(target.resolve(images + ".gz"), target.resolve(labels + ".gz"), false);
        } catch (DlkitException e) {
            downloadError = e.getMessage();
        }
        String how = name.equals("fashion-mnist")
                ? "install it with `apt-get install -y dataset-fashion-mnist`, or put the four files from "
                    + "https://github.com/zalandoresearch/fashion-mnist (data/fashion) into ~/.dlkit/datasets/fashion-mnist/"
                : "put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
                    + "t10k-labels-idx1-ubyte.gz from the MNIST distribution into ~/.dlkit/datasets/mnist/";
        throw new DlkitException("data set \"" + name + "\" not found: looked for " + images + "[.gz] in " + searchPath(name)
                + ", and downloading it failed (" + downloadError + "); " + how);
    }

    static ArrayDataset digits(String split) {
        try (InputStream in = NamedDatasets.class.getResourceAsStream("/dlkit/data/digits.csv.gz")) {
            if (in == null) {
                throw new DlkitException("the embedded digits data set is missing from the dlkit jar");
            }
            Csv.Table t = Csv.parse(new GZIPInputStream(in), false, "digits.csv.gz");
            ArrayDataset all = Csv.dataset(t, "c64", 0, "digits");
            int[] order = ArrayDataset.order(all.count(), true, 0, 0);
            float[] x = flat(all);
            float[] y = labels(all);
            float[] xs = new float[x.length];
            float[] ys = new float[y.length];
            for (int i = 0; i < order.length; i++) {
                System.arraycopy(x, order[i] * 64, xs, i * 64, 64);
                ys[i] = y[order[i]];
            }
            ArrayDataset shaped = new ArrayDataset(xs, dlkit.tensor.Shape.of(8, 8), ys, 1);
            return split.equals("train") ? shaped.slice(0, DIGITS_TRAIN) : shaped.slice(DIGITS_TRAIN, shaped.count());
        } catch (IOException e) {
            throw new DlkitException("cannot read the embedded digits data set: " + e.getMessage(), e);
        }
    }

    private static float[] flat(ArrayDataset d) {
        int f = d.featureShape().size();
        float[] x = new float[d.count() * f];
        for (int i = 0; i < d.count(); i++) {
            System.arraycopy(d.features(i), 0, x, i * f, f);
        }
        return x;
    }

    private static float[] labels(ArrayDataset d) {
        float[] y = new float[d.count()];
        for (int i = 0; i < y.length; i++) {
            y[i] = d.label(i, 0);
        }
        return y;
    }
}
