package io.tessera.app.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.app.DefaultPipeline;
import io.tessera.app.Tessera;
import io.tessera.core.plugin.PluginRegistry;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera eval} end to end on the embedded random pipeline: files, passes, skipped orders, backends. */
class EvalTest {
    @TempDir
    Path tmp;

    /** Writes n random 28×28 images and labels per split as gzipped IDX files. */
    static Path fakeFashionMnist(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        Random r = new Random(7);
        for (String split : new String[] {"train", "t10k"}) {
            try (DataOutputStream o = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(dir.resolve(split + "-images-idx3-ubyte.gz"))))) {
                o.writeInt(0x803);
                o.writeInt(n);
                o.writeInt(28);
                o.writeInt(28);
                byte[] img = new byte[28 * 28];
                for (int i = 0; i < n; i++) {
                    r.nextBytes(img);
                    o.write(img);
                }
            }
            try (DataOutputStream o = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(dir.resolve(split + "-labels-idx1-ubyte.gz"))))) {
                o.writeInt(0x801);
                o.writeInt(n);
                for (int i = 0; i < n; i++) {
                    o.writeByte(i % 10);
                }
            }
        }
        return dir;
    }

    Evaluation.Report eval(Path out, List<String> orders, String backend, int samples) throws IOException {
        Evaluation.Settings s = new Evaluation.Settings(DefaultPipeline::load, orders, samples, 4, 0, 5L, backend,
                List.of("sampling.top_k=8"), out, fakeFashionMnist(tmp.resolve("fmnist"), 24), 20);
        try (PluginRegistry reg = PluginRegistry.load(List.of())) {
            return new Evaluation(s, reg, new PatchFeatures(), new PrintWriter(new StringWriter())).run();
        }
    }

    /** RFC 4180 rows (quoted fields may hold commas and doubled quotes; no line breaks in ours). */
    static List<String[]> csv(Path f) throws IOException {
        List<String[]> rows = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(f)) {
            List<String> fields = new java.util.ArrayList<>();
            StringBuilder b = new StringBuilder();
            boolean quoted = false;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    b.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = !quoted;
                } else if (c == ',' && !quoted) {
                    fields.add(b.toString());
                    b.setLength(0);
                } else {
                    b.append(c);
                }
            }
            fields.add(b.toString());
            rows.add(fields.toArray(String[]::new));
        }
        return rows;
    }

    @Test
    void aSweepWritesEveryFileWithTheRightPassesAndSkipsWhatCannotRun() throws Exception {
        Path out = tmp.resolve("out");
        Evaluation.Report rep = eval(out, List.of("raster", "zipar:window=4", "par:regions=4"), null, 4);

        List<String[]> rows = csv(out.resolve("results.csv"));
        assertEquals(ResultTable.CSV_COLUMNS, List.of(rows.get(0)));
        assertEquals(5, rows.size(), "header, three orders, the real-data row");
        int passes = ResultTable.CSV_COLUMNS.indexOf("passes_per_image");
        int fd = ResultTable.CSV_COLUMNS.indexOf("fd");
        int acc = ResultTable.CSV_COLUMNS.indexOf("accuracy");
        assertEquals("raster", rows.get(1)[0]);
        assertEquals("256.000", rows.get(1)[passes]);
        assertEquals("zipar:window=4", rows.get(2)[0]);
        assertEquals("88.000", rows.get(2)[passes]);
        assertEquals("2.9091", rows.get(2)[ResultTable.CSV_COLUMNS.indexOf("tokens_per_pass")]);
        for (int r = 1; r <= 2; r++) {
            assertEquals("ok", rows.get(r)[1]);
            assertTrue(Double.parseDouble(rows.get(r)[fd]) > 0, "random weights are far from real data");
            double a = Double.parseDouble(rows.get(r)[acc]);
            assertTrue(a >= 0 && a <= 1);
        }
        assertEquals("par:regions=4", rows.get(3)[0]);
        assertEquals("skipped", rows.get(3)[1]);
        assertTrue(rows.get(3)[2].contains("cannot drive a llamagen"), rows.get(3)[2]);
        assertEquals("", rows.get(3)[passes]);
        assertEquals("reference", rows.get(4)[1]);
        assertEquals(rep.floor().fd(), Double.parseDouble(rows.get(4)[fd]), 1e-6);

        String table = ResultTable.text(rep);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("raster ") && l.contains(" 256.0 ")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("zipar:window=4 ") && l.contains(" 88.0 ")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("par:regions=4 ") && l.contains("skipped: order 'par' cannot drive")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("real data ")), table);

        String json = Files.readString(out.resolve("results.json"));
        assertTrue(json.contains("\"order\": \"zipar:window=4\", \"status\": \"ok\", \"samples\": 4, \"passes_per_image\": 88,"), json);
        assertTrue(json.contains("\"status\": \"skipped\", \"reason\": \"order 'par' cannot drive"), json);

        NpzSinkTest.Npy npy = NpzSinkTest.read(out.resolve("samples-zipar_window-4.npz"));
        assertEquals("{'descr': '|u1', 'fortran_order': False, 'shape': (4, 32, 32, 3), }", npy.header());
        assertTrue(Files.exists(out.resolve("tokens-raster.npy")));
        assertFalse(Files.exists(out.resolve("samples-par_regions-4.npz")));

        BufferedImage sheet = ImageIO.read(out.resolve("samples.png").toFile());
        assertEquals(4 * (64 + 2) + 2, sheet.getHeight(), "rows: real, raster, zipar, par (skipped)");
        for (String plot : new String[] {"quality.png", "latency.png"}) {
            BufferedImage p = ImageIO.read(out.resolve(plot).toFile());
            assertEquals(Plots.WIDTH, p.getWidth(), plot);
        }
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no temporary files left");
        }
    }

    @Test
    void bothBackendsGiveTheSameTokensStepsAndNearlyTheSamePixelsAndQuality() throws Exception {
        List<String> orders = List.of("zipar:window=4");
        eval(tmp.resolve("cpu"), orders, "cpu-vector", 2);
        eval(tmp.resolve("torch"), orders, "torch", 2);
        List<String[]> a = csv(tmp.resolve("cpu/results.csv"));
        List<String[]> b = csv(tmp.resolve("torch/results.csv"));
        assertEquals(a.size(), b.size());
        for (String col : List.of("order", "status", "samples", "passes_per_image", "tokens_per_pass")) {
            int c = ResultTable.CSV_COLUMNS.indexOf(col);
            for (int r = 0; r < a.size(); r++) {
                assertEquals(a.get(r)[c], b.get(r)[c], col + " of row " + r);
            }
        }
        assertArrayEquals(Files.readAllBytes(tmp.resolve("cpu/tokens-zipar_window-4.npy")), Files.readAllBytes(tmp.resolve("torch/tokens-zipar_window-4.npy")));
        byte[] pa = NpzSinkTest.read(tmp.resolve("cpu/samples-zipar_window-4.npz")).data();
        byte[] pb = NpzSinkTest.read(tmp.resolve("torch/samples-zipar_window-4.npz")).data();
        int diff = 0;
        int max = 0;
        for (int i = 0; i < pa.length; i++) {
            int d = Math.abs((pa[i] & 0xff) - (pb[i] & 0xff));
            diff += d > 0 ? 1 : 0;
            max = Math.max(max, d);
        }
        // The tokens are equal; the decoders' floats differ by ~1e-6, which can flip the truncating uint8 cast
        // at a pixel sitting on a level boundary (as in CrossBackendTest): at most one level, at few pixels.
        assertTrue(max <= 1 && diff <= pa.length / 100, diff + " bytes differ, by up to " + max);
        int fd = ResultTable.CSV_COLUMNS.indexOf("fd");
        int acc = ResultTable.CSV_COLUMNS.indexOf("accuracy");
        for (int r = 1; r < a.size(); r++) {
            double fa = Double.parseDouble(a.get(r)[fd]);
            assertEquals(fa, Double.parseDouble(b.get(r)[fd]), 1e-3 * fa, "fd of row " + r);
            assertEquals(Double.parseDouble(a.get(r)[acc]), Double.parseDouble(b.get(r)[acc]), 1.0 / 2 + 1e-9, "accuracy: at most one image flips");
        }
    }

    @Test
    void theCommandWritesTheTableAndFilesWithoutAClassifier() throws Exception {
        Path out = tmp.resolve("cli");
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int code = Tessera.run(new String[] {"eval", "--order", "zipar:window=4", "--order", "lpd:steps=20", "--samples", "2",
                "--batch", "2", "--warmup", "1", "--seed", "1", "--out", out.toString()}, new PrintWriter(o, true), new PrintWriter(e, true));
        assertEquals(0, code, e.toString());
        String table = o.toString();
        assertTrue(table.lines().anyMatch(l -> l.startsWith("zipar:window=4 ") && l.contains(" 88.0 ")), table);
        assertTrue(table.lines().anyMatch(l -> l.startsWith("lpd:steps=20 ") && l.contains("skipped: order 'lpd' cannot drive a llamagen")), table);
        assertTrue(table.contains("quality: not measured"), table);
        for (String f : new String[] {"results.csv", "results.json", "samples.png", "latency.png", "samples-zipar_window-4.npz"}) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertFalse(Files.exists(out.resolve("quality.png")));
        assertTrue(Files.readString(out.resolve("results.json")).contains("\"real_data\": null"));
    }

    @Test
    void badInputFailsWithOneLineBeforeAnyWork() throws Exception {
        Path out = tmp.resolve("bad");
        String[][] cases = {
                {"--order", "zipar:window=0", "--samples", "2"},
                {"--order", "nosuch", "--samples", "2"},
                {"--order", "raster", "--order", "raster", "--samples", "2"},
                {"--order", "zipar", "--set", "order.window=4", "--samples", "2"},
                {"--order", "raster", "--samples", "2", "--classifier", tmp.resolve("missing.safetensors").toString()},
                {"--order", "raster", "--samples", "2", "--classifier", Files.writeString(tmp.resolve("c.safetensors"), "x").toString(),
                        "--reference-data", tmp.toString()},
        };
        String[] expect = {"--order zipar:window=0: order.window", "--order nosuch: ", "--order raster: given twice",
                "--set order.window=4: order options go in the --order spec",
                "--classifier " + tmp.resolve("missing.safetensors") + ": no such file", "--classifier "};
        for (int i = 0; i < cases.length; i++) {
            String[] args = new String[cases[i].length + 3];
            args[0] = "eval";
            System.arraycopy(cases[i], 0, args, 1, cases[i].length);
            args[args.length - 2] = "--out";
            args[args.length - 1] = out.toString();
            StringWriter o = new StringWriter();
            StringWriter e = new StringWriter();
            int code = Tessera.run(args, new PrintWriter(o, true), new PrintWriter(e, true));
            assertEquals(Tessera.EXIT_ERROR, code, Arrays.toString(args) + ": " + e);
            String[] lines = e.toString().strip().split("\n");
            assertEquals(1, lines.length, e.toString());
            assertTrue(lines[0].startsWith("tessera: " + expect[i]), lines[0]);
        }
        assertFalse(Files.exists(out), "nothing written");
        StringWriter e = new StringWriter();
        assertEquals(Tessera.EXIT_USAGE, Tessera.run(new String[] {"eval", "--samples", "1"}, new PrintWriter(new StringWriter()), new PrintWriter(e)));
    }
}
