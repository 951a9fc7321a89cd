package dlkit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dlkit.DlkitException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourcesTest {
    @TempDir
    Path dir;

    static byte[] idx(int count, int[] dims, byte fill) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream d = new DataOutputStream(new GZIPOutputStream(b))) {
            d.writeInt(0x0800 | (dims.length + 1));
            d.writeInt(count);
            int per = 1;
            for (int x : dims) {
                d.writeInt(x);
                per *= x;
            }
            for (int i = 0; i < count * per; i++) {
                d.writeByte(fill + i % 3);
            }
        }
        return b.toByteArray();
    }

    @Test
    void idxGzippedOrNot() throws IOException {
        Path img = dir.resolve("img.gz");
        Files.write(img, idx(4, new int[] {2, 3}, (byte) 0));
        Path lab = dir.resolve("lab.gz");
        Files.write(lab, idx(4, new int[] {}, (byte) 1));
        ArrayDataset d = Idx.dataset(img, lab, false);
        assertEquals(4, d.count());
        assertEquals(dlkit.tensor.Shape.of(2, 3), d.featureShape());
        assertArrayEquals(new float[] {0, 1, 2, 0, 1, 2}, d.features(0));
        Path truncated = dir.resolve("t");
        byte[] raw = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(idx(4, new int[] {2, 3}, (byte) 0))).readAllBytes();
        Files.write(truncated, java.util.Arrays.copyOf(raw, raw.length - 5));
        assertTrue(assertThrows(DlkitException.class, () -> Idx.read(truncated, false)).getMessage().contains("truncated"));
    }

    @Test
    void npyRoundTripAndTypes() throws IOException {
        Path p = dir.resolve("a.npy");
        try (var out = Files.newOutputStream(p)) {
            Npy.write(out, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6.5f});
        }
        Npy.Array a = Npy.read(p);
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6.5f}, a.values());
        Path bad = dir.resolve("b.npy");
        Files.writeString(bad, "not numpy");
        assertTrue(assertThrows(DlkitException.class, () -> Npy.read(bad)).getMessage().contains("not a .npy file"));
    }

    @Test
    void csvWithLabelColumnAndOneHot() throws IOException {
        Path p = dir.resolve("d.csv");
        Files.writeString(p, "x1,label,x2\n1,0,2\n3,2,4\n");
        ArrayDataset d = Csv.dataset(Csv.read(p, true), "label", 3, p.toString());
        assertArrayEquals(new float[] {3, 4}, d.features(1));
        assertEquals(3, d.labelWidth());
        assertEquals(1f, d.label(1, 2));
        Files.writeString(p, "x1,label\n1,zero\n");
        assertTrue(assertThrows(DlkitException.class, () -> Csv.read(p, true)).getMessage().contains("line 2, column \"label\": expected a number, got \"zero\""));
    }

    @Test
    void csvHeaderIsFoundByLookingAndLabelsByIndex() throws IOException {
        Path p = dir.resolve("bare.csv");
        Files.writeString(p, "1,0,2\r\n3,2,4\n");
        Csv.Table t = Csv.read(p, Csv.Header.AUTO);
        assertEquals(2, t.rows(), "a numeric first row is data, not a header");
        ArrayDataset d = Csv.dataset(t, "1", 3, p.toString());
        assertArrayEquals(new float[] {3, 4}, d.features(1));
        assertEquals(1f, d.label(1, 2));
        assertEquals(1, Csv.read(p, Csv.Header.PRESENT).rows());
        assertArrayEquals(new float[] {1, 2, 3, 4}, t.without(1).values());
        String missing = assertThrows(DlkitException.class, () -> Csv.dataset(t, "label", 0, p.toString())).getMessage();
        assertTrue(missing.contains("no header row, so name a column by its index"), missing);
        Path named = dir.resolve("named.csv");
        Files.writeString(named, "x1,label\n1,0\n");
        assertEquals(1, Csv.read(named, Csv.Header.AUTO).rows());
        Path longLine = dir.resolve("long.csv");
        Files.writeString(longLine, "1".repeat(Csv.MAX_LINE + 1));
        assertTrue(assertThrows(DlkitException.class, () -> Csv.read(longLine, Csv.Header.AUTO)).getMessage().contains("line 1 is longer than"));
    }

    @Test
    void textWindowsSplitEachFileWithoutOverlap() throws IOException {
        Path a = dir.resolve("a.txt");
        Path b = dir.resolve("b.txt");
        Files.writeString(a, "abcdefghijklmnopqrst");                 // 20 bytes: train 16, test 4
        Files.writeString(b, "0123456789\u00e9ABCDEFGHIJ");           // é is two bytes outside ASCII -> code 0
        ArrayDataset train = TextWindows.load(List.of(a, b), 4, 2, 0.2, false);
        ArrayDataset test = TextWindows.load(List.of(a, b), 4, 2, 0.2, true);
        assertEquals(dlkit.tensor.Shape.of(4), train.featureShape());
        // a: train bytes 0..15 -> windows at 0,2,...,12 (7); b: 22 bytes, train 0..17 -> 8 windows
        assertEquals(7 + 8, train.count());
        assertArrayEquals(new float[] {'a', 'b', 'c', 'd'}, train.features(0));
        assertArrayEquals(new float[] {'8', '9', 0, 0}, train.features(7 + 4));
        assertEquals(2, test.count(), "one test window from each file");
        assertArrayEquals(new float[] {'q', 'r', 's', 't'}, test.features(0));
        assertEquals(0f, train.label(0, 0));
        assertEquals(1f, train.label(14, 0));
        var e = assertThrows(IllegalArgumentException.class, () -> TextWindows.load(List.of(a), 4, 2, 0.2, false));
        assertTrue(e.getMessage().startsWith("files:"), e.getMessage());
        var short_ = assertThrows(DlkitException.class, () -> TextWindows.load(List.of(a, b), 8, 2, 0.2, true));
        assertTrue(short_.getMessage().contains("a.txt") && short_.getMessage().contains("shorter than one window"), short_.getMessage());
    }

    @Test
    void playgroundSetsAreBalancedAndSeeded() {
        for (String name : Playground.NAMES) {
            ArrayDataset a = Playground.generate(name, 200, 0.2, 7);
            ArrayDataset b = Playground.generate(name, 200, 0.2, 7);
            assertArrayEquals(a.features(17), b.features(17));
            int ones = 0;
            for (int i = 0; i < 200; i++) {
                ones += (int) a.label(i, 0);
            }
            assertTrue(ones > 60 && ones < 140, name + " has " + ones + " positives of 200");
        }
    }

    @Test
    void embeddedDigits() {
        ArrayDataset train = NamedDatasets.load("digits", "train");
        ArrayDataset test = NamedDatasets.load("digits", "test");
        assertEquals(1437, train.count());
        assertEquals(360, test.count());
        assertEquals(dlkit.tensor.Shape.of(8, 8), train.featureShape());
        assertEquals(16.0, train.range()[1]);
    }

    @Test
    void downloadChecksProgressAndChecksums() throws Exception {
        byte[] good = "hello data".getBytes();
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(good));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            byte[] body = ex.getRequestURI().getPath().endsWith("good.bin") || ex.getRequestURI().getPath().endsWith("bad.bin") ? good : null;
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/files/");
            List<Long> progress = new ArrayList<>();
            Download.fetch(base, List.of(new Download.FileSpec("good.bin", md5)), dir, (f, b, t) -> progress.add(b));
            assertArrayEquals(good, Files.readAllBytes(dir.resolve("good.bin")));
            assertEquals((long) good.length, progress.get(progress.size() - 1));
            DlkitException e = assertThrows(DlkitException.class,
                    () -> Download.fetch(base, List.of(new Download.FileSpec("bad.bin", "00000000000000000000000000000000")), dir, Download.Listener.NONE));
            assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("bad.bin")));
            e = assertThrows(DlkitException.class, () -> Download.fetch(base, List.of(new Download.FileSpec("missing.bin", md5)), dir, Download.Listener.NONE));
            assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
            try (var s = Files.list(dir)) {
                assertEquals(1, s.count(), "only the good file: no partial downloads left");
            }
        } finally {
            server.stop(0);
        }
    }
}
