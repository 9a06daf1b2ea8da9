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
 * checkpoint would be. Usage: {@code CpuBench gpt THREADS [F32|BF16] | vq THREADS | conv THREADS [REPS]}
 * ({@code conv}: the packed-GEMM convolution of {@link VectorConvKernels}, best of REPS, with GFLOP/s).
 */
public final class CpuBench {
    private CpuBench() {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "gpt";
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        DType dt = args.length > 2 && what.equals("gpt") ? DType.valueOf(args[2]) : DType.F32;
        System.out.println("species " + VectorKernels.F + ", threads " + threads + ", " + dt);
        if (what.equals("gpt")) {
            gpt(threads, dt);
        } else if (what.equals("conv")) {
            conv(threads, args.length > 2 ? Integer.parseInt(args[2]) : 5);
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
        return io.tessera.core.spi.SyntheticPasses.raster(rows, from, to - from, cap);
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

    /** Decoder-shaped 3×3 convs {cout, cin, h, w, upsample}: old (im2col tiles) vs new (packed GEMM). */
    private static void conv(int threads, int reps) {
        int[][] shapes = {{512, 512, 16, 16, 0}, {256, 256, 32, 32, 1}, {256, 256, 64, 64, 0}, {128, 128, 128, 128, 0},
            {128, 128, 128, 128, 1}, {512, 512, 16, 16, -1}, {3, 128, 128, 128, 0}};
        Kernels old = Kernels.of(true);
        ConvKernels neu = ConvKernels.of(true);
        try (Parallel pool = new Parallel(threads, "bench")) {
            for (int[] s : shapes) {
                int cout = s[0];
                int cin = s[1];
                int h = s[2];
                int w = s[3];
                boolean up = s[4] == 1;
                int ks = s[4] < 0 ? 1 : 3;
                int f = up ? 4 : 1;
                float[] in = TestTensors.gaussian(1, cin * h * w);
                float[] wt = TestTensors.gaussian(2, cout * cin * ks * ks);
                float[] bias = TestTensors.gaussian(3, cout);
                ConvKernels.Packed p = neu.pack("w", wt, bias, cout, cin, ks);
                float[] out = new float[cout * h * w * f];
                double flops = 2.0 * cout * cin * ks * ks * h * w * f;
                long best = Long.MAX_VALUE;
                for (int r = 0; r < reps; r++) {
                    long t0 = System.nanoTime();
                    neu.conv(pool, p, in, h, w, up, out);
                    best = Math.min(best, System.nanoTime() - t0);
                }
                System.out.printf("conv %3d←%3d k%d %3d×%-3d%s: %8.2f ms %6.1f GFLOP/s%n",
                        cout, cin, ks, h * (up ? 2 : 1), w * (up ? 2 : 1), up ? " up" : "   ", best / 1e6, flops / best);
            }
        }
    }
}
