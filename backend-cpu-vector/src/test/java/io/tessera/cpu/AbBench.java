package io.tessera.cpu;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;

/**
 * Timing harness (not a unit test): two builds of this module's main classes, A (e.g. the base
 * commit) and B (the working tree), each in its own class loader, timed interleaved in ONE JVM on
 * the same off-heap random weights, so that the load of a shared machine hits both alike. It uses
 * only core and the JDK, so run it without this module's main classes on the class path:
 * <pre>
 * git archive BASE backend-cpu-vector/src/main | tar -x -C /tmp/base   # then javac into /tmp/base/classes
 * java --add-modules jdk.incubator.vector -cp backend-cpu-vector/target/test-classes:core/target/classes:DEPS \
 *      io.tessera.cpu.AbBench gpt|vq THREADS ROUNDS /tmp/base/classes backend-cpu-vector/target/classes [F32|BF16 [ROWS]]
 * </pre>
 * {@code gpt}: a GPT-B decode step (2 rows = one image with CFG, or the optional 7th argument ROWS; context 128) by A, by B and a plain
 * vector read of the same weight bytes on the same number of threads, round-robin; {@code vq}: one
 * VQ-16 decode of 16×16 tokens (256×256 pixels) by A and by B, alternating. Prints best and median.
 */
public final class AbBench {
    private AbBench() {
    }

    /** Batch rows of the timed GPT step (optional 7th argument; 2 = one image with CFG). */
    private static int rows;

    public static void main(String[] args) throws Exception {
        String what = args[0];
        int threads = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        ComputeBackend a = backend(Path.of(args[3]));
        ComputeBackend b = backend(Path.of(args[4]));
        DType dt = args.length > 5 ? DType.valueOf(args[5]) : DType.F32;
        rows = args.length > 6 ? Integer.parseInt(args[6]) : 2;
        System.out.printf("A = %s, B = %s, %d threads, %s, %d-bit vectors%n", args[3], args[4], threads, dt,
                FloatVector.SPECIES_PREFERRED.vectorBitSize());
        if (what.equals("gpt")) {
            gpt(a, b, threads, rounds, dt);
        } else {
            vq(a, b, threads, rounds, dt);
        }
    }

    private static ComputeBackend backend(Path classes) throws Exception {
        URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, AbBench.class.getClassLoader());
        Class<?> c = Class.forName("io.tessera.cpu.CpuVectorBackend", true, loader);
        if (c.getClassLoader() != loader) {
            throw new IllegalStateException("CpuVectorBackend came from the class path, not " + classes
                    + ": run without this module's main classes on the class path");
        }
        return (ComputeBackend) c.getDeclaredConstructor().newInstance();
    }

    private static BackendOptions options(int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "cpu-vector");
        m.put("threads", threads);
        m.put("kernels", "vector");
        return new BackendOptions(new ConfigNode("backend", m));
    }

    /** Random off-heap tensors as a mapped checkpoint would hold them (values ~ U(−0.05, 0.05), norms 1). */
    private static Map<String, Tensor> randomTensors(Map<String, long[]> layout, DType dt, Arena arena) {
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        Map<String, Tensor> out = new LinkedHashMap<>();
        long seed = 0x9E3779B97F4A7C15L;
        for (var e : layout.entrySet()) {
            long n = Arrays.stream(e.getValue()).reduce(1, (x, y) -> x * y);
            MemorySegment seg = arena.allocate(n * dt.byteSize(), 64);
            boolean norm = e.getKey().contains("norm") && e.getKey().endsWith("weight") && e.getValue().length == 1;
            for (long i = 0; i < n; i++) {
                seed ^= seed << 13;
                seed ^= seed >>> 7;
                seed ^= seed << 17;
                float v = norm ? 1f : ((seed >>> 40) / (float) (1L << 24) - 0.5f) * 0.1f;
                if (dt == DType.F32) {
                    seg.setAtIndex(f32, i, v);
                } else {
                    seg.setAtIndex(i16, i, (short) ((Float.floatToRawIntBits(v) + 0x8000) >>> 16));
                }
            }
            out.put(e.getKey(), new Tensor(e.getKey(), dt, e.getValue(), seg));
        }
        return out;
    }

    private static void gpt(ComputeBackend a, ComputeBackend b, int threads, int rounds, DType dt) throws Exception {
        LlamaGenConfig c = LlamaGenConfig.preset("gpt-b", 16);
        int ctx = 128;
        try (Arena arena = Arena.ofShared(); ExecutorService ex = Executors.newFixedThreadPool(threads)) {
            Map<String, Tensor> t = randomTensors(LlamaGenWeights.layout(c), dt, arena);
            List<MemorySegment> mats = new ArrayList<>();
            long bytes = 0;
            for (Tensor x : t.values()) {
                if (x.rank() == 2 && !x.name().contains("embedding")) {
                    mats.add(x.data());
                    bytes += x.data().byteSize();
                }
            }
            LlamaGenModel m = new LlamaGenModel(c, new LlamaGenWeights(c, new MemoryCheckpoint("bench", t)));
            int cap = m.cacheCapacity();
            try (GptSession sa = a.openModel(m, options(threads)); GptSession sb = b.openModel(m, options(threads))) {
                ForwardBatch step = batch(rows, ctx, ctx + 1, cap);
                for (GptSession s : List.of(sa, sb)) {
                    s.reset(rows, cap);
                    s.forward(batch(rows, 0, ctx, cap));
                    for (int i = 0; i < 20; i++) {
                        s.forward(step);
                    }
                }
                float[] la = sa.forward(step);
                float[] lb = sb.forward(step);
                double maxDiff = 0;
                for (int i = 0; i < la.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(la[i] - lb[i]));
                }
                for (int i = 0; i < 5; i++) {
                    read(ex, mats, threads);
                }
                long[][] ns = new long[3][rounds];
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    sa.forward(step);
                    long t1 = System.nanoTime();
                    sb.forward(step);
                    long t2 = System.nanoTime();
                    read(ex, mats, threads);
                    long t3 = System.nanoTime();
                    ns[0][r] = t1 - t0;
                    ns[1][r] = t2 - t1;
                    ns[2][r] = t3 - t2;
                }
                String[] names = {"A decode step", "B decode step", "plain read"};
                double readBest = Arrays.stream(ns[2]).min().orElseThrow();
                for (int v = 0; v < 3; v++) {
                    long[] s = ns[v].clone();
                    Arrays.sort(s);
                    System.out.printf("%-14s best %7.2f ms (%5.1f GB/s, %3.0f%% of the best plain read) | median %7.2f ms (%5.1f GB/s)%n",
                            names[v], s[0] / 1e6, bytes / (double) s[0], 100 * readBest / s[0], s[rounds / 2] / 1e6,
                            bytes / (double) s[rounds / 2]);
                }
                System.out.printf("weights %.1f MB per step; max |logit A − logit B| %.2e%n", bytes / 1e6, maxDiff);
            }
        }
    }

    /** Sums every weight byte as floats: thread i reads the i-th contiguous share of each matrix. */
    private static float read(ExecutorService ex, List<MemorySegment> mats, int threads) throws Exception {
        List<Future<Float>> fs = new ArrayList<>();
        int vb = FloatVector.SPECIES_PREFERRED.vectorByteSize();
        for (int i = 0; i < threads; i++) {
            int part = i;
            fs.add(ex.submit(() -> {
                FloatVector acc = FloatVector.zero(FloatVector.SPECIES_PREFERRED);
                for (MemorySegment seg : mats) {
                    long vecs = seg.byteSize() / vb;
                    long end = vecs * (part + 1) / threads * vb;
                    for (long off = vecs * part / threads * vb; off < end; off += vb) {
                        acc = acc.add(FloatVector.fromMemorySegment(FloatVector.SPECIES_PREFERRED, seg, off,
                                ByteOrder.LITTLE_ENDIAN));
                    }
                }
                return acc.lane(0);
            }));
        }
        float s = 0;
        for (Future<Float> f : fs) {
            s += f.get();
        }
        return s;
    }

    private static ForwardBatch batch(int rows, int from, int to, int cap) {
        return io.tessera.core.spi.SyntheticPasses.raster(rows, from, to - from, cap);
    }

    private static void vq(ComputeBackend a, ComputeBackend b, int threads, int rounds, DType dt) {
        VqConfig c = VqConfig.preset("vq-16");
        int[] tokens = new int[256];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7919) % 16384;
        }
        try (Arena arena = Arena.ofShared()) {
            VqWeights w = new VqWeights(c, new MemoryCheckpoint("bench", randomTensors(VqWeights.layout(c), dt, arena)));
            try (VqDecoderSession da = a.openDecoder(w, options(threads));
                 VqDecoderSession db = b.openDecoder(w, options(threads))) {
                float[] ia = da.decode(tokens, 1, 16, 16); // warm-up (and B packs its weights)
                float[] ib = db.decode(tokens, 1, 16, 16);
                double maxDiff = 0;
                for (int i = 0; i < ia.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(ia[i] - ib[i]));
                }
                long[][] ns = new long[2][rounds];
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    da.decode(tokens, 1, 16, 16);
                    long t1 = System.nanoTime();
                    db.decode(tokens, 1, 16, 16);
                    long t2 = System.nanoTime();
                    ns[0][r] = t1 - t0;
                    ns[1][r] = t2 - t1;
                    System.out.printf("round %d: A %.0f ms, B %.0f ms%n", r, ns[0][r] / 1e6, ns[1][r] / 1e6);
                }
                for (int v = 0; v < 2; v++) {
                    long[] s = ns[v].clone();
                    Arrays.sort(s);
                    System.out.printf("%s VQ-16 decode 256×256: best %.0f ms, median %.0f ms%n", v == 0 ? "A" : "B",
                            s[0] / 1e6, s[rounds / 2] / 1e6);
                }
                System.out.printf("B is ×%.2f faster (best); max |pixel A − pixel B| %.2e%n",
                        (double) Arrays.stream(ns[0]).min().orElseThrow() / Arrays.stream(ns[1]).min().orElseThrow(), maxDiff);
            }
        }
    }
}
