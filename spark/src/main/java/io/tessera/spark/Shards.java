package io.tessera.spark;

import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.AtomicFiles;
import io.tessera.core.decode.Generator;
import io.tessera.core.pipeline.Pipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One shard: images {@code [first, first + n)} of the job, written as {@code shards/shard-NNNNN.npz}
 * (ADM layout: {@code arr_0} uint8 [n, H, W, 3], {@code arr_1} int64 labels [n]) and
 * {@code shards/shard-NNNNN.tokens.npy} (int32 [n, gridH, gridW]). Both are written atomically, tokens
 * first, so a shard whose {@code .npz} is present and well-formed is complete.
 */
final class Shards {
    static final String DIR = "shards";

    private Shards() {
    }

    static Path npz(Path out, long shard) {
        return out.resolve(DIR).resolve(String.format("shard-%05d.npz", shard));
    }

    static Path tokens(Path out, long shard) {
        return out.resolve(DIR).resolve(String.format("shard-%05d.tokens.npy", shard));
    }

    /** What the job's shards hold per image: pixels per side and token grid. */
    record Geometry(int size, int gridH, int gridW) implements java.io.Serializable {
    }

    /** Whether shard {@code shard} is on disk whole, with the shapes the job expects (headers only). */
    static boolean complete(Path out, JobConfig job, Geometry g, long shard) {
        Path npz = npz(out, shard);
        Path tok = tokens(out, shard);
        if (!Files.isRegularFile(npz) || !Files.isRegularFile(tok)) {
            return false;
        }
        long n = job.shardImages(shard);
        try {
            Map<String, Npy.Header> h = Npy.npzHeaders(npz);
            Npy.Header img = h.get(Npy.IMAGES);
            Npy.Header lab = h.get(Npy.LABELS);
            Npy.Header t;
            try (var in = new java.io.BufferedInputStream(Files.newInputStream(tok))) {
                t = Npy.readHeader(in, tok.toString());
            }
            return h.size() == 2 && img != null && lab != null
                    && img.descr().equals("|u1") && Arrays.equals(img.shape(), new long[] {n, g.size(), g.size(), 3})
                    && lab.descr().equals("<i8") && Arrays.equals(lab.shape(), new long[] {n})
                    && t.descr().equals("<i4") && Arrays.equals(t.shape(), new long[] {n, g.gridH(), g.gridW()})
                    && Files.size(tok) == t.bytes().length + t.dataBytes();
        } catch (IOException | TesseraException e) {
            return false; // unreadable: regenerate it
        }
    }

    /** Fault injection for tests and chaos runs: attempts {@code 0 .. attempts−1} of one shard fail half-way. */
    record Fault(long shard, int attempts) implements java.io.Serializable {
        static final Fault NONE = new Fault(-1, 0);
    }

    /** Faults injected in this JVM (tests check one fired). */
    static final java.util.concurrent.atomic.AtomicInteger INJECTED = new java.util.concurrent.atomic.AtomicInteger();

    /** Thrown by an injected fault. */
    static final class InjectedFailure extends RuntimeException {
        InjectedFailure(String message) {
            super(message);
        }
    }

    /**
     * Generates shard {@code shard} with {@code p} and writes it; {@code attempt} is the task attempt
     * (an injected fault fires half-way through the shard's tokens).
     */
    static void generate(Pipeline p, JobConfig job, Geometry g, long shard, Fault fault, int attempt) {
        Path out = Path.of(job.out());
        long first = job.firstImage(shard);
        int n = job.shardImages(shard);
        int[] classes = new int[n];
        for (int k = 0; k < n; k++) {
            classes[k] = job.classOf(first + k);
        }
        boolean inject = fault.shard() == shard && attempt < fault.attempts();
        Generator.Result r = p.generate(classes, first, job.batch(), (done, total) -> {
            if (inject && done == total / 2) {
                INJECTED.incrementAndGet();
                throw new InjectedFailure("injected failure in shard " + shard + " (attempt " + attempt + ") after "
                        + done + " of " + total + " tokens");
            }
        });
        int[][] tokens = r.tokens();
        float[] images = p.decode(tokens);
        write(out, shard, g, classes, tokens, images);
    }

    static void write(Path out, long shard, Geometry g, int[] classes, int[][] tokens, float[] chw) {
        int n = classes.length;
        int cells = g.gridH() * g.gridW();
        int[] flat = new int[n * cells];
        for (int i = 0; i < n; i++) {
            System.arraycopy(tokens[i], 0, flat, i * cells, cells);
        }
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = classes[i];
        }
        Npy.Array tok = Npy.Array.int32(flat, n, g.gridH(), g.gridW());
        Npy.Array img = Npy.Array.uint8(io.tessera.core.io.Images.toRgb8(chw, n, g.size(), g.size()), n, g.size(), g.size(), 3);
        Npy.Array lab = Npy.Array.int64(labels, n);
        try {
            Files.createDirectories(out.resolve(DIR));
        } catch (IOException e) {
            throw new TesseraException(out.resolve(DIR) + ": cannot create directory (" + e.getMessage() + ")", e);
        }
        AtomicFiles.writeStream(tokens(out, shard), tok::writeNpy);
        AtomicFiles.writeStream(npz(out, shard), o -> Npy.writeNpz(o, List.of(Npy.entry(Npy.IMAGES, img), Npy.entry(Npy.LABELS, lab))));
    }
}
