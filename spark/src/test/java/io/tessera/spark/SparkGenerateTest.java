package io.tessera.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.decode.Generator;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job in {@code local[2]} on the embedded Fashion-MNIST model: the merged output equals what
 * {@code tessera generate}'s {@link Pipeline#generate} gives for the same seed and classes, a task killed
 * mid-way (injected failure) changes nothing, a re-run resumes, and bad input fails in one line with
 * nothing written.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkGenerateTest {
    static final Path PIPELINE = Path.of("../pipelines/default.yaml");
    static final int IMAGES = 200;
    static final int SHARD = 48;   // 5 shards, the last one of 8
    static final int SIZE = 32;
    static final int GRID = 16;
    static final long SEED = 7;
    static final int[] CLASSES = {2, 0, 9, 5};

    @TempDir
    static Path tmp;
    static Path out;
    static int[][] expectedTokens;
    static byte[] expectedPixels;

    /** The reference: one Generator call over all images, as {@code tessera generate --class 2 --class 0 ... --seed 7}. */
    @BeforeAll
    static void reference() {
        out = tmp.resolve("job");
        PipelineSpec ps = PipelineSpec.load(PIPELINE).set("sampling.seed=" + SEED);
        int[] classes = new int[IMAGES];
        for (int i = 0; i < IMAGES; i++) {
            classes[i] = CLASSES[i % CLASSES.length];
        }
        try (PluginRegistry reg = PluginRegistry.builtIn(); Pipeline p = Pipeline.open(ps, reg)) {
            Generator.Result r = p.generate(classes, 32, null);
            expectedTokens = r.tokens();
            expectedPixels = io.tessera.core.io.Images.toRgb8(p.decode(expectedTokens), IMAGES, SIZE, SIZE);
        }
    }

    record Run(int rc, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        int rc = SparkGenerate.run(args, new PrintWriter(o, true), new PrintWriter(e, true));
        return new Run(rc, o.toString(), e.toString());
    }

    static String[] job(Path dir, String... extra) {
        List<String> a = new ArrayList<>(List.of("--pipeline", PIPELINE.toString(), "--images", Integer.toString(IMAGES),
                "--classes", "2,0,9,5", "--seed", Long.toString(SEED), "--shard-size", Integer.toString(SHARD),
                "--batch", "16", "--master", "local[2]", "--out", dir.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    @Test
    @Order(1)
    void mergedOutputEqualsGeneratorDespiteAKilledTask() throws IOException {
        int injected = Shards.INJECTED.get();
        Run r = run(job(out, "--merge", "--inject-failure", "2"));
        assertEquals(0, r.rc(), r.err());
        assertEquals(injected + 1, Shards.INJECTED.get(), "the fault in shard 2 fired once (its retry then wrote the shard)");
        assertTrue(r.err().contains(IMAGES + " / " + IMAGES + " images"), r.err());

        Map<String, Npy.Array> merged = Npy.readNpz(out.resolve(SparkJob.MERGED));
        assertEquals(List.of(Npy.IMAGES, Npy.LABELS), List.copyOf(merged.keySet()));
        Npy.Array px = merged.get(Npy.IMAGES);
        assertArrayEquals(new long[] {IMAGES, SIZE, SIZE, 3}, px.header().shape());
        assertEquals("|u1", px.header().descr());
        assertArrayEquals(expectedPixels, px.data(), "merged pixels = Generator's for the same seeds");
        long[] labels = merged.get(Npy.LABELS).longs();
        for (int i = 0; i < IMAGES; i++) {
            assertEquals(CLASSES[i % CLASSES.length], labels[i], "label of image " + i);
        }
        Npy.Array tok = Npy.readNpy(out.resolve(SparkJob.MERGED_TOKENS));
        assertArrayEquals(new long[] {IMAGES, GRID, GRID}, tok.header().shape());
        int[] flat = tok.ints();
        for (int i = 0; i < IMAGES; i++) {
            int[] row = java.util.Arrays.copyOfRange(flat, i * GRID * GRID, (i + 1) * GRID * GRID);
            assertArrayEquals(expectedTokens[i], row, "tokens of image " + i);
        }
        // each shard holds its own range
        Npy.Array last = Npy.readNpz(Shards.npz(out, 4)).get(Npy.IMAGES);
        assertArrayEquals(new long[] {IMAGES - 4 * SHARD, SIZE, SIZE, 3}, last.header().shape());
        assertArrayEquals(java.util.Arrays.copyOfRange(expectedPixels, 4 * SHARD * SIZE * SIZE * 3, expectedPixels.length), last.data());
        String manifest = Files.readString(out.resolve(SparkJob.MANIFEST));
        assertTrue(manifest.contains("\"first\": 192, \"count\": 8"), manifest);
        try (Stream<Path> s = Files.list(out.resolve(Shards.DIR))) {
            assertEquals(10, s.count(), "5 shards × (npz + tokens), no temporary files left");
        }
    }

    @Test
    @Order(2)
    void reRunResumesWithoutRegenerating() throws IOException {
        FileTime before = Files.getLastModifiedTime(Shards.npz(out, 3));
        int loads = PipelineHolder.loads();
        Run r = run(job(out));
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("(0 generated, 5 already complete)"), r.out());
        assertEquals(loads, PipelineHolder.loads(), "no executor loaded a model");
        assertEquals(before, Files.getLastModifiedTime(Shards.npz(out, 3)));

        // a lost shard is regenerated alone, with the same bytes
        byte[] shard1 = Files.readAllBytes(Shards.npz(out, 1));
        Files.delete(Shards.npz(out, 1));
        r = run(job(out, "--merge"));
        assertEquals(0, r.rc(), r.err());
        assertTrue(r.out().contains("(1 generated, 4 already complete)"), r.out());
        assertArrayEquals(shard1, Files.readAllBytes(Shards.npz(out, 1)));
        assertArrayEquals(expectedPixels, Npy.readNpz(out.resolve(SparkJob.MERGED)).get(Npy.IMAGES).data());
    }

    @Test
    @Order(3)
    void aDifferentJobInTheSameDirectoryIsRefused() {
        Run r = run(job(out, "--set", "sampling.top_k=10"));
        assertOneLineError(r, "holds the shards of a different job");
    }

    @Test
    void aShardFailingOnEveryAttemptIsOneLineAndLeavesNoPartialShard() throws IOException {
        Path dir = tmp.resolve("always-failing");
        Run r = run("--pipeline", PIPELINE.toString(), "--images", "10", "--shard-size", "5", "--classes", "1", "--out", dir.toString(),
                "--master", "local[1]", "--inject-failure", "0", "--inject-attempts", "4");
        assertOneLineError(r, "the Spark job failed (injected failure in shard 0 (attempt 3)");
        assertFalse(Files.exists(Shards.npz(dir, 0)));
        assertFalse(Files.exists(dir.resolve(SparkJob.MANIFEST)));
        try (Stream<Path> s = Files.list(dir.resolve(Shards.DIR))) {
            s.forEach(f -> assertTrue(f.getFileName().toString().matches("shard-0000[01]\\.(npz|tokens\\.npy)"), "left behind: " + f));
        }
        r = run("--pipeline", PIPELINE.toString(), "--images", "10", "--shard-size", "5", "--classes", "1", "--out", dir.toString(), "--master", "local[1]");
        assertEquals(0, r.rc(), r.err());
        assertArrayEquals(new long[] {5, SIZE, SIZE, 3}, Npy.readNpz(Shards.npz(dir, 0)).get(Npy.IMAGES).header().shape());
    }

    /** The torch backend (libtorch on the CPU here) through the same job: shards equal torch's own Generator run. */
    @Test
    void torchBackend() {
        Path dir = tmp.resolve("torch");
        int n = 6;
        Run r = run("--pipeline", PIPELINE.toString(), "--images", Integer.toString(n), "--shard-size", "3", "--seed", "4",
                "--backend", "torch", "--out", dir.toString(), "--master", "local[1]", "--merge");
        assertEquals(0, r.rc(), r.err());
        PipelineSpec ps = PipelineSpec.load(PIPELINE).set("sampling.seed=4").replaceSection("backend", "torch");
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            classes[i] = i % 10;
        }
        int[] flat = Npy.readNpy(dir.resolve(SparkJob.MERGED_TOKENS)).ints();
        try (PluginRegistry reg = PluginRegistry.builtIn(); Pipeline p = Pipeline.open(ps, reg)) {
            int[][] t = p.generate(classes, 4, null).tokens();
            for (int i = 0; i < n; i++) {
                assertArrayEquals(t[i], java.util.Arrays.copyOfRange(flat, i * GRID * GRID, (i + 1) * GRID * GRID), "image " + i);
            }
        }
    }

    @Test
    void inputErrorsPrintNoProgress() {
        Run r = run("--pipeline", "no/such.yaml", "--images", "10", "--out", tmp.resolve("x").toString());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void unknownPipeline() {
        Path dir = tmp.resolve("bad-pipeline");
        Run r = run("--pipeline", "no/such.yaml", "--images", "10", "--out", dir.toString(), "--master", "local[1]");
        assertOneLineError(r, "--pipeline no/such.yaml: no such file");
        assertFalse(Files.exists(dir));
    }

    @Test
    void imagesMustBePositive() {
        Path dir = tmp.resolve("no-images");
        for (String n : new String[] {"0", "-3"}) {
            Run r = run("--pipeline", PIPELINE.toString(), "--images", n, "--out", dir.toString(), "--master", "local[1]");
            assertOneLineError(r, "--images must be ≥ 1, got " + n);
        }
        assertFalse(Files.exists(dir));
    }

    @Test
    void unwritableOutDir() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Run r = run("--pipeline", PIPELINE.toString(), "--images", "10", "--out", file.resolve("out").toString(), "--master", "local[1]");
        assertOneLineError(r, "--out " + file.resolve("out") + ": cannot create the directory");
        r = run("--pipeline", PIPELINE.toString(), "--images", "10", "--out", file.toString(), "--master", "local[1]");
        assertOneLineError(r, "--out " + file + ": not a directory");
        assertEquals("x", Files.readString(file));
    }

    @Test
    void unreachableMaster() throws IOException {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        Path dir = tmp.resolve("no-master");
        Run r = run("--pipeline", PIPELINE.toString(), "--images", "10", "--out", dir.toString(), "--master", "spark://127.0.0.1:" + port);
        assertOneLineError(r, "--master spark://127.0.0.1:" + port + ": cannot reach the Spark master");
        assertFalse(Files.exists(dir), "nothing written");
    }

    @Test
    void classOutOfRange() {
        Path dir = tmp.resolve("bad-class");
        Run r = run("--pipeline", PIPELINE.toString(), "--images", "10", "--classes", "3,10", "--out", dir.toString(), "--master", "local[1]");
        assertOneLineError(r, "--classes: class 10 is out of range [0, 10)");
        assertFalse(Files.exists(dir));
    }

    @Test
    void badBackendOptionFailsOnTheDriver() {
        Path dir = tmp.resolve("bad-backend");
        Run r = run("--pipeline", PIPELINE.toString(), "--images", "10", "--set", "backend.threads=0", "--out", dir.toString(), "--master", "local[1]");
        assertOneLineError(r, "backend.threads");
        assertFalse(Files.exists(dir));
    }

    /** Exit code 1 and one error line (beside the driver's progress lines, if the job started). */
    static void assertOneLineError(Run r, String expected) {
        assertEquals(1, r.rc(), r.err());
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("spark-generate: ")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.get(0).startsWith("tessera spark-generate: ") && lines.get(0).contains(expected), r.err());
    }
}
