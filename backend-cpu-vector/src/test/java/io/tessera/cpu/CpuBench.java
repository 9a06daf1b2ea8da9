package io.tessera.cpu;

import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Timing harness (not a unit test): a GPT-B-shaped decode step at batch 1 + CFG (2 rows, context
 * 128) and a VQ-16 decode of one 256×256 image, on random weights held off-heap as a mapped
 * checkpoint would be. Usage: {@code CpuBench gpt THREADS [F32|BF16] | vq THREADS}.
 */
public final class CpuBench {
    private CpuBench() {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "gpt";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        DType dt = args.length > 2 ? DType.valueOf(args[2]) : DType.F32;
        System.out.println("species " + VectorKernels.F + ", threads " + threads + ", " + dt);
        if (what.equals("gpt")) {
            gpt(threads, dt);
        } else {
            vq(threads);
        }
    }

    /** Random off-heap tensors in the given layout (values ~ U(−0.05, 0.05), norms ≈ 1). */
    private static Map<String, Tensor> randomTensors(Map<String, long[]> layout, DType dt, Arena arena) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        long seed = 0x9E3779B97F4A7C15L;
        for (var e : layout.entrySet()) {
            long n = 1;
            for (long s : e.getValue()) {
                n *= s;
            }
            MemorySegment seg = arena.allocate(n * dt.byteSize(), 64);
            boolean norm = e.getKey().contains("norm") && e.getKey().endsWith("weight") && e.getValue().length == 1;
            for (long i = 0; i < n; i++) {
                seed ^= seed << 13;
                seed ^= seed >>> 7;
                seed ^= seed << 17;
                float v = norm ? 1f : ((seed >>> 40) / (float) (1L << 24) - 0.5f) * 0.1f;
                if (dt == DType.F32) {
                    seg.setAtIndex(Kernels.F32_LE, i, v);
                } else {
                    seg.setAtIndex(Kernels.I16_LE, i, TestTensors.toBf16(v));
                }
            }
            out.put(e.getKey(), new Tensor(e.getKey(), dt, e.getValue(), seg));
        }
        return out;
    }

    private static void gpt(int threads, DType dt) {
        LlamaGenConfig c = LlamaGenConfig.preset("gpt-b", 16);
        try (Arena arena = Arena.ofShared()) {
            Map<String, Tensor> t = randomTensors(LlamaGenWeights.layout(c), dt, arena);
            long bytes = 0;
            for (Tensor x : t.values()) {
                if (x.rank() == 2 && !x.name().contains("embedding")) {
                    bytes += x.data().byteSize();
                }
            }
            LlamaGenModel m = new LlamaGenModel(c, new LlamaGenWeights(c, new MemoryCheckpoint("bench", t)));
            int cap = m.cacheCapacity();
            int ctx = 128;
            try (GptSession s = new CpuVectorBackend().openModel(m, TestTensors.options(threads, "vector"))) {
                s.reset(2, cap);
                long t0 = System.nanoTime();
                s.forward(batch(2, 0, ctx, cap));
                System.out.printf("prefill %d×2 entries: %.0f ms%n", ctx, (System.nanoTime() - t0) / 1e6);
                ForwardBatch step = batch(2, ctx, ctx + 1, cap);
                for (int i = 0; i < 10; i++) {
                    s.forward(step);
                }
                int steps = 30;
                long best = Long.MAX_VALUE;
                long start = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    long a = System.nanoTime();
                    s.forward(step);
                    best = Math.min(best, System.nanoTime() - a);
                }
                double mean = (System.nanoTime() - start) / 1e6 / steps;
                System.out.printf("decode step (2 rows, context %d): mean %.2f ms, best %.2f ms; weights %.1f MB → %.1f GB/s (mean), %.1f GB/s (best)%n",
                        ctx, mean, best / 1e6, bytes / 1e6, bytes / mean / 1e6, bytes / (best / 1e6) / 1e6);
            }
            // Roofline in the same run: a plain vector read of the same weight bytes on the same threads.
            Tensor[] mats = t.values().stream().filter(x -> x.rank() == 2 && !x.name().contains("embedding"))
                    .toArray(Tensor[]::new);
            try (Parallel pool = new Parallel(threads, "bw")) {
                long best = Long.MAX_VALUE;
                float[] sink = new float[1];
                for (int i = 0; i < 15; i++) {
                    long a = System.nanoTime();
                    for (Tensor mat : mats) {
                        MemorySegment seg = mat.data();
                        long chunk = 64L * 1024;
                        int chunks = (int) ((seg.byteSize() + chunk - 1) / chunk);
                        pool.range(chunks, (from, to) -> {
                            var acc = jdk.incubator.vector.FloatVector.zero(VectorKernels.F);
                            long end = Math.min(seg.byteSize(), to * chunk);
                            for (long off = from * chunk; off + VectorKernels.F.vectorByteSize() <= end;
                                 off += VectorKernels.F.vectorByteSize()) {
                                acc = acc.add(jdk.incubator.vector.FloatVector.fromMemorySegment(VectorKernels.F, seg, off,
                                        java.nio.ByteOrder.LITTLE_ENDIAN));
                            }
                            sink[0] += acc.lane(0);
                        });
                    }
                    best = Math.min(best, System.nanoTime() - a);
                }
                System.out.printf("plain read of the same bytes: best %.2f ms → %.1f GB/s%n", best / 1e6, bytes / (best / 1e6) / 1e6);
            }
        }
    }

    private static ForwardBatch batch(int rows, int from, int to, int cap) {
        int len = to - from;
        int n = rows * len;
        EntryKind[] kinds = new EntryKind[n];
        int[] ids = new int[n];
        int[] pos = new int[n];
        int[] slots = new int[n];
        boolean[] vis = new boolean[n * cap];
        for (int b = 0; b < rows; b++) {
            for (int i = 0; i < len; i++) {
                int e = b * len + i;
                int j = from + i;
                kinds[e] = j == 0 ? EntryKind.CLASS : EntryKind.TOKEN;
                ids[e] = j == 0 ? (b == 0 ? 207 : 1000) : (j * 7919) % 16384;
                pos[e] = j;
                slots[e] = j;
                for (int s = 0; s <= j; s++) {
                    vis[e * cap + s] = true;
                }
            }
        }
        return new ForwardBatch(rows, len, kinds, ids, pos, slots, vis);
    }

    private static void vq(int threads) {
        VqConfig c = VqConfig.preset("vq-16");
        try (Arena arena = Arena.ofShared()) {
            Map<String, Tensor> t = randomTensors(VqWeights.layout(c), DType.F32, arena);
            VqWeights w = new VqWeights(c, new MemoryCheckpoint("bench", t));
            int[] tokens = new int[256];
            for (int i = 0; i < tokens.length; i++) {
                tokens[i] = (i * 7919) % 16384;
            }
            try (VqDecoderSession s = new CpuVectorBackend().openDecoder(w, TestTensors.options(threads, "vector"))) {
                for (int run = 0; run < 2; run++) {
                    long t0 = System.nanoTime();
                    float[] img = s.decode(tokens, 1, 16, 16);
                    System.out.printf("VQ-16 decode 16×16 → 256×256 (run %d): %.0f ms (%d values)%n", run,
                            (System.nanoTime() - t0) / 1e6, img.length);
                }
            }
        }
    }
}
