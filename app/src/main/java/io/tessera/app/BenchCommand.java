package io.tessera.app;

import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.SafetensorsWriter;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.plugin.PluginRegistry;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ComputeBackend;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.VqDecoderSession;
import io.tessera.core.model.RandomWeights;
import io.tessera.core.spi.SyntheticPasses;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tessera bench}: one GPT decode step and one VQ decode on every backend, in one run, beside
 * this machine's measured memory bandwidth and peak FLOP/s, with the roofline fraction of each. The
 * project's one timing mechanism: {@code --preset none} times the VQ decoder alone, {@code --prefill}
 * adds the prefill pass, {@code --backend-option} passes backend settings (e.g. {@code torch.device=cuda});
 * two commits are compared by running the same command from two checkouts in turn (README, Performance).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark a GPT decode step and the VQ decoder on each backend against this machine's roofline.")
public final class BenchCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Spec
    CommandSpec spec;

    @Option(names = "--preset", defaultValue = "gpt-b",
            description = "GPT preset (random weights), or 'none' to time the VQ decoder alone (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--layers", description = "Override the preset's layer count (smaller runs).")
    Integer layers;

    @Option(names = "--dtype", defaultValue = "f32", description = "Weight dtype in the checkpoint: f32 or bf16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--rows", split = ",", defaultValue = "2",
            description = "Batch rows per step, or a comma-separated sweep such as 2,4,8,16,32,64 (2 = one image with CFG; default: ${DEFAULT-VALUE}).")
    List<Integer> rowsList;

    /** The row count of the step being timed. */
    private int rows;

    @Option(names = "--entries", defaultValue = "1",
            description = "Entries per cache row in a step: 1 = every row its own image (serving); k > 1 = rows/k images "
                    + "of k entries each, as a ZipAR or LPD pass (every --rows value must be a multiple; default: ${DEFAULT-VALUE}).")
    int entries;

    @Option(names = "--context", defaultValue = "128", description = "Cache slots a step attends to (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--steps", defaultValue = "20", description = "Timed decode steps per backend (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--backends", split = ",", defaultValue = "cpu-vector,torch", description = "Backends to compare (default: ${DEFAULT-VALUE}).")
    List<String> backends;

    @Option(names = "--vq", defaultValue = "vq-16", description = "VQ preset for the decoder benchmark, or 'none' (default: ${DEFAULT-VALUE}).")
    String vq;

    @Option(names = "--threads", description = "Threads for every backend (default: all cores).")
    Integer threads;

    @Option(names = "--prefill", description = "Also time one prefill pass: class + context−1 tokens per row, at the first --rows value.")
    boolean prefill;

    @Option(names = "--vq-runs", defaultValue = "2", description = "Timed VQ decodes per backend, after one warm-up (default: ${DEFAULT-VALUE}).")
    int vqRuns;

    @Option(names = "--backend-option", paramLabel = "BACKEND.KEY=VALUE",
            description = "A backend setting, repeatable: torch.device=cuda, torch.dtype=bfloat16, cpu-vector.kernels=scalar, ...")
    List<String> backendOptions = new ArrayList<>();

    /** --backend-option values by backend name. */
    private Map<String, Map<String, String>> settings;

    @Option(names = "--cache", description = "Directory for the random benchmark checkpoints (default: ~/.cache/tessera/bench).")
    Path cacheDir;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        settings = parseBackendOptions(backendOptions, backends);
        if (vqRuns < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--vq-runs must be ≥ 1, got " + vqRuns);
        }
        if (preset.equals("none") && vq.equals("none")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--preset none and --vq none leave nothing to time");
        }
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        double bw = measureBandwidth(nThreads);
        double peak = measurePeakFlops(nThreads);
        out.printf("machine: %d threads, memory read %.1f GB/s, vector FMA peak %.1f GFLOP/s (%d-bit vectors)%n",
                nThreads, bw / 1e9, peak / 1e9, FloatVector.SPECIES_PREFERRED.vectorBitSize());

        DType dt = switch (dtype) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            default -> throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--dtype must be f32 or bf16, got " + dtype);
        };
        Path dir = cacheDir != null ? cacheDir : Path.of(System.getProperty("user.home"), ".cache", "tessera", "bench");
        List<String[]> table = new ArrayList<>();
        try (PluginRegistry reg = common.registry()) {
            if (!preset.equals("none")) {
                benchGpt(out, reg, dir, dt, nThreads, bw, peak, table);
            }
            if (!vq.equals("none")) {
                benchVq(out, reg, dir, dt, nThreads, table);
            }
        }
        out.printf("%-20s %-12s %10s %10s %10s%n", "benchmark", "backend", "ms", "GB/s", "roofline");
        for (String[] r : table) {
            out.printf("%-20s %-12s %10s %10s %10s%n", (Object[]) r);
        }
        out.printf("peak RSS %.0f MB (checkpoints memory-mapped, not on the heap); max heap %.0f MB%n",
                peakRssKb() / 1024.0, Runtime.getRuntime().maxMemory() / 1048576.0);
        return 0;
    }

    /** The GPT decode step (and the prefill with --prefill) on every backend, with the --rows sweep. */
    private void benchGpt(PrintWriter out, PluginRegistry reg, Path dir, DType dt, int nThreads, double bw, double peak,
            List<String[]> table) throws Exception {
        LlamaGenConfig base = LlamaGenConfig.preset(preset, 16);
        LlamaGenConfig c = layers == null ? base : new LlamaGenConfig(base.dim(), layers, base.nHead(), base.nKvHead(),
                base.multipleOf(), base.ffnDimMultiplier(), base.normEps(), base.ropeBase(), base.vocabSize(), base.numClasses(),
                base.clsTokenNum(), base.classDropoutProb(), base.grid());
        if (context < 1 || context >= c.blockSize()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--context must be in [1, " + (c.blockSize() - 1) + "]");
        }
        if (entries < 1 || context + 5 + entries > c.blockSize() + 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--entries must be in [1, " + (c.blockSize() - 4 - context) + "] at --context " + context + ", got " + entries);
        }
        for (int r : rowsList) {
            if (r < 1 || r % entries != 0) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                        "--rows must be ≥ 1 and a multiple of --entries " + entries + ", got " + r);
            }
        }
        Path gptFile = dir.resolve(preset + "-L" + c.nLayer() + "-" + dtype + ".safetensors");
        ensure(gptFile, () -> convert(RandomWeights.llamaGen(c, 0), dt));

        try (Checkpoint ckpt = Checkpoints.open(gptFile)) {
            LlamaGenModel model = new LlamaGenModel(c, new LlamaGenWeights(c, ckpt));
            long weightBytes = streamedWeightBytes(model);
            out.printf("GPT %s (%d layers, dim %d, %s): %,d weight bytes streamed per step%n",
                    preset, c.nLayer(), c.dim(), dtype, weightBytes);
            Map<String, Double> stepMs = new LinkedHashMap<>();
            List<String[]> sweep = new ArrayList<>();
            for (String name : backends) {
                ComputeBackend be = reg.backend(name);
                try (GptSession s = be.openModel(model, options(name, nThreads))) {
                    if (prefill) {
                        rows = rowsList.get(0);
                        double ms = timePrefill(s, c);
                        table.add(new String[] {"GPT prefill " + rows + "x" + context, name, String.format("%.1f", ms), "-", "-"});
                    }
                    for (int r : rowsList) {
                        rows = r;
                        double flops = stepFlops(c, rows, context);
                        double roof = Math.max((weightBytes + cacheBytes(c, rows / entries, context + entries, kvBytes(name))) / bw,
                                flops / peak);
                        double ms = timeDecode(s, c);
                        if (r == rowsList.get(0)) {
                            stepMs.put(name, ms);
                            table.add(new String[] {"GPT decode step", name, String.format("%.2f", ms),
                                    String.format("%.1f", weightBytes / (ms / 1e3) / 1e9), String.format("%.0f%%", 100 * roof / (ms / 1e3))});
                        }
                        sweep.add(new String[] {String.valueOf(r), name, String.format("%.2f", ms),
                                String.format("%.1f", flops / (ms / 1e3) / 1e9), String.format("%.0f%%", 100 * flops / (ms / 1e3) / peak),
                                String.format("%.2f", roof * 1e3), String.format("%.0f%%", 100 * roof / (ms / 1e3))});
                    }
                }
            }
            if (rowsList.size() > 1) {
                out.printf("%-6s %-12s %10s %10s %10s %12s %10s%n", "rows", "backend", "ms/step", "GFLOP/s", "% FMA pk",
                        "roofline ms", "roofline");
                for (String[] r : sweep) {
                    out.printf("%-6s %-12s %10s %10s %10s %12s %10s%n", (Object[]) r);
                }
            }
            out.printf("GPT weights %.0f MB (memory-mapped)%n",
                    ckpt.tensors().values().stream().mapToLong(t -> t.data().byteSize()).sum() / 1048576.0);
            if (stepMs.containsKey("cpu-vector") && stepMs.containsKey("torch")) {
                out.printf("decode step speed-up cpu-vector vs torch: %.2fx%n", stepMs.get("torch") / stepMs.get("cpu-vector"));
            }
        }
    }

    /** One VQ decode of 16×16 tokens per backend: best and median of --vq-runs, with the GFLOP/s of its convolutions. */
    private void benchVq(PrintWriter out, PluginRegistry reg, Path dir, DType dt, int nThreads, List<String[]> table) throws Exception {
        VqConfig vc = VqConfig.preset(vq);
        Path vqFile = dir.resolve(vq + "-decoder-" + dtype + ".safetensors");
        ensure(vqFile, () -> convert(RandomWeights.vq(vc, 1), dt));
        try (Checkpoint vck = Checkpoints.open(vqFile)) {
            VqWeights w = new VqWeights(vc, vck);
            double flops = vqDecodeFlops(w, 16);
            for (String name : backends) {
                try (VqDecoderSession d = reg.backend(name).openDecoder(w, options(name, nThreads))) {
                    double[] ms = timeVq(d, vqRuns);
                    int px = 16 * (1 << (vc.decoderChMult().length - 1));
                    table.add(new String[] {"VQ decode " + px + "x" + px, name, String.format("%.1f", ms[0]), "-", "-"});
                    out.printf("VQ decode %dx%d %s: best %.1f ms, median %.1f ms of %d; %.1f GFLOP/s (%.3g FLOP of convolutions and attention)%n",
                            px, px, name, ms[0], ms[1], vqRuns, flops / (ms[0] / 1e3) / 1e9, flops);
                }
            }
        }
    }

    /**
     * {@code --backend-option BACKEND.KEY=VALUE} values by backend; every backend named must be one of
     * {@code --backends}, so that a typo is refused instead of silently ignored.
     */
    static Map<String, Map<String, String>> parseBackendOptions(List<String> values, List<String> backends) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (String v : values) {
            int dot = v.indexOf('.');
            int eq = v.indexOf('=');
            if (dot <= 0 || eq < dot + 2 || eq == v.length() - 1) {
                throw new io.tessera.core.ConfigException("--backend-option: expected BACKEND.KEY=VALUE (e.g. torch.device=cuda), got '" + v + "'");
            }
            String backend = v.substring(0, dot);
            if (!backends.contains(backend)) {
                throw new io.tessera.core.ConfigException("--backend-option " + v + ": backend '" + backend + "' is not in --backends " + backends);
            }
            String key = v.substring(dot + 1, eq);
            if (key.equals("name") || key.equals("threads")) {
                throw new io.tessera.core.ConfigException("--backend-option " + v + ": '" + key + "' is set by --backends / --threads");
            }
            out.computeIfAbsent(backend, k -> new LinkedHashMap<>()).put(key, v.substring(eq + 1));
        }
        return out;
    }

    /** VmHWM of this process from /proc (0 where unavailable). */
    static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private BackendOptions options(String name, int threads) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("threads", threads);
        m.putAll(settings.getOrDefault(name, Map.of()));
        return new BackendOptions(new ConfigNode("backend", m));
    }

    private interface Maker {
        Map<String, Tensor> make();
    }

    private void ensure(Path file, Maker maker) {
        if (!Files.exists(file)) {
            spec.commandLine().getErr().println("tessera: writing random benchmark weights to " + file + " (once)");
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
            } catch (java.io.IOException e) {
                throw new io.tessera.core.TesseraException(file.getParent() + ": cannot create directory (" + e.getMessage() + ")");
            }
            SafetensorsWriter.write(file, maker.make());
        }
    }

    /** The random F32 weights, rounded to BF16 when asked. */
    private static Map<String, Tensor> convert(Map<String, Tensor> f32, DType dt) {
        if (dt == DType.F32) {
            return f32;
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        f32.forEach((n, t) -> out.put(n, Tensor.ofFloats(n, t.shape(), t.toFloatArray(), DType.BF16)));
        return out;
    }

    /** Bytes of weights one decode step reads: every matrix and norm, one embedding row per input (negligible). */
    static long streamedWeightBytes(LlamaGenModel m) {
        LlamaGenWeights w = m.weights();
        long b = w.norm().data().byteSize() + w.output().data().byteSize();
        for (LlamaGenWeights.Layer l : w.layers()) {
            b += l.attentionNorm().data().byteSize() + l.wqkv().data().byteSize() + l.wo().data().byteSize()
                    + l.ffnNorm().data().byteSize() + l.w1().data().byteSize() + l.w2().data().byteSize() + l.w3().data().byteSize();
        }
        return b;
    }

    /**
     * Bytes of KV cache one step reads: keys and values of {@code slots} slots in every layer of each of
     * {@code cacheRows} rows, at {@code bytes} per number (a row's entries share its reads).
     */
    static double cacheBytes(LlamaGenConfig c, int cacheRows, int slots, int bytes) {
        return 2.0 * cacheRows * c.nLayer() * slots * c.nKvHead() * c.headDim() * bytes;
    }

    /** Bytes per cached number on backend {@code name}: 2 with its kv_cache option bfloat16, else 4. */
    private int kvBytes(String name) {
        return "bfloat16".equals(settings.getOrDefault(name, Map.of()).get("kv_cache")) ? 2 : 4;
    }

    /** FLOPs of one decode step: 2 per weight per row, plus attention over the context. */
    static double stepFlops(LlamaGenConfig c, int rows, int ctx) {
        long perLayer = (long) (c.nHead() + 2 * c.nKvHead()) * c.headDim() * c.dim() + (long) c.dim() * c.dim() + 3L * c.ffnHidden() * c.dim();
        double weights = 2.0 * rows * (perLayer * c.nLayer() + (long) c.vocabSize() * c.dim());
        double attn = 2.0 * rows * c.nLayer() * 2.0 * (ctx + 1) * c.dim();
        return weights + attn;
    }

    private double timeDecode(GptSession s, LlamaGenConfig c) {
        int cap = 1 + c.blockSize();
        s.reset(rows / entries, cap);
        // The step attends to `context` earlier slots. They are not prefilled: their values do not change
        // the cost of a step, and a prefill of context × rows entries would dominate a --rows sweep.
        // Warm-up: at least 5 steps and 1.5 s, so that the JIT has compiled the kernels for this width (a
        // sweep's first width was timed up to 2x slow after 5 steps alone).
        long warmEnd = System.nanoTime() + 1_500_000_000L;
        for (int i = 0; i < 5 || System.nanoTime() < warmEnd; i++) {
            s.forward(step(context + i % 5, cap));
        }
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) {
            int slot = context + 5 + i * entries;
            if (slot + entries > cap) {
                slot = context + (slot - context) % (cap - context - entries + 1);
            }
            ForwardBatch b = step(slot, cap);
            long t0 = System.nanoTime();
            s.forward(b);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms[ms.length / 2];
    }

    /** One pass of class + context − 1 tokens per row into a fresh cache (the prefill of a --context prompt). */
    private double timePrefill(GptSession s, LlamaGenConfig c) {
        int cap = 1 + c.blockSize();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 2; i++) { // the first one warms up
            s.reset(rows, cap);
            ForwardBatch b = SyntheticPasses.raster(rows, 0, context, cap);
            long t0 = System.nanoTime();
            s.forward(b);
            best = i == 0 ? Double.MAX_VALUE : Math.min(best, (System.nanoTime() - t0) / 1e6);
        }
        return best;
    }

    /** One decode step: --rows entries, --entries per cache row at slots [first, first + entries). */
    private ForwardBatch step(int first, int cap) {
        return SyntheticPasses.raster(rows / entries, first, entries, cap);
    }

    /** Best and median ms of {@code runs} decodes of one 16×16 token grid, after one warm-up. */
    private static double[] timeVq(VqDecoderSession d, int runs) {
        int[] tokens = new int[256];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7919) % 16384;
        }
        d.decode(tokens, 1, 16, 16); // warm-up
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            d.decode(tokens, 1, 16, 16);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return new double[] {ms[0], ms[runs / 2]};
    }

    /**
     * Multiply-add FLOPs (2 per MAC) of one VQ decode of a {@code grid}×{@code grid} token grid: every
     * convolution at the resolution it runs at, plus the attention blocks' two h·w × h·w products.
     */
    static double vqDecodeFlops(VqWeights w, int grid) {
        long hw = (long) grid * grid;
        double f = conv(w.postQuantConv(), hw) + conv(w.convIn(), hw) + res(w.mid0(), hw) + attn(w.mid1(), hw) + res(w.mid2(), hw);
        for (VqWeights.Level l : w.levels()) {
            for (VqWeights.ResBlock r : l.res()) {
                f += res(r, hw);
            }
            for (VqWeights.AttnBlock a : l.attn()) {
                f += attn(a, hw);
            }
            if (l.upsample() != null) {
                hw *= 4;
                f += conv(l.upsample(), hw);
            }
        }
        return f + conv(w.convOut(), hw);
    }

    private static double conv(VqWeights.Conv c, long hw) {
        return 2.0 * c.outChannels() * c.inChannels() * c.kernel() * c.kernel() * hw;
    }

    private static double res(VqWeights.ResBlock r, long hw) {
        return conv(r.conv1(), hw) + conv(r.conv2(), hw) + (r.ninShortcut() == null ? 0 : conv(r.ninShortcut(), hw));
    }

    private static double attn(VqWeights.AttnBlock a, long hw) {
        int ch = a.q().outChannels();
        return conv(a.q(), hw) + conv(a.k(), hw) + conv(a.v(), hw) + conv(a.projOut(), hw) + 2.0 * 2.0 * hw * hw * ch;
    }

    /** Read bandwidth: {@code threads} threads summing disjoint halves of a 1 GiB off-heap buffer; best of 5. */
    static double measureBandwidth(int threads) throws Exception {
        long bytes = 1L << 30;
        try (Arena arena = Arena.ofShared(); ExecutorService ex = Executors.newFixedThreadPool(threads)) {
            MemorySegment seg = arena.allocate(bytes, 64);
            seg.fill((byte) 1);
            double best = 0;
            for (int rep = 0; rep < 5; rep++) {
                long chunk = bytes / threads;
                List<Future<Float>> fs = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    long from = t * chunk;
                    fs.add(ex.submit(() -> readSum(seg, from, from + chunk)));
                }
                float sink = 0;
                for (Future<Float> f : fs) {
                    sink += f.get();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (sink != 0) {
                    best = Math.max(best, bytes / s);
                }
            }
            return best;
        }
    }

    /** The vector species of the plain read (a constant, so that C2 compiles the loads to vector instructions). */
    private static final VectorSpecies<Float> READ = FloatVector.SPECIES_PREFERRED;

    /**
     * Σ of the floats of seg[from, to) read with four independent vector accumulators: the plain read the
     * roofline is measured by. (A species held in a local variable of a lambda kept the loop from being
     * intrinsified: the boxed loop under-measured the bandwidth.)
     */
    private static float readSum(MemorySegment seg, long from, long to) {
        FloatVector a = FloatVector.zero(READ);
        FloatVector b = a;
        FloatVector c = a;
        FloatVector d = a;
        long step = READ.vectorByteSize();
        for (long o = from; o + 4 * step <= to; o += 4 * step) {
            a = a.add(FloatVector.fromMemorySegment(READ, seg, o, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(READ, seg, o + step, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(READ, seg, o + 2 * step, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(READ, seg, o + 3 * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }

    /** Peak: 8 independent FMA chains in registers on every thread (JIT-compiled kernel, warmed up); best of 5. */
    static double measurePeakFlops(int threads) throws Exception {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        int calls = 200;
        long iters = 100_000L;
        float sink = 0;
        for (int w = 0; w < 2000; w++) {
            sink += fmaChains(1000); // warm-up: C2 compiles the kernel with its vectors in registers
        }
        try (ExecutorService ex = Executors.newFixedThreadPool(threads)) {
            double best = 0;
            for (int rep = 0; rep < 5; rep++) {
                List<Future<Float>> fs = new ArrayList<>();
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    fs.add(ex.submit(() -> {
                        float acc = 0;
                        for (int c = 0; c < calls; c++) {
                            acc += fmaChains(iters);
                        }
                        return acc;
                    }));
                }
                for (Future<Float> f : fs) {
                    sink += f.get();
                }
                double s = (System.nanoTime() - t0) / 1e9;
                best = Math.max(best, threads * calls * iters * 8.0 * sp.length() * 2 / s);
            }
            return sink == 12345.678f ? 0 : best;
        }
    }

    private static float fmaChains(long iters) {
        VectorSpecies<Float> sp = FloatVector.SPECIES_PREFERRED;
        FloatVector a = FloatVector.broadcast(sp, 0.999f);
        FloatVector b = FloatVector.broadcast(sp, 1e-7f);
        FloatVector x0 = FloatVector.broadcast(sp, 1f);
        FloatVector x1 = x0;
        FloatVector x2 = x0;
        FloatVector x3 = x0;
        FloatVector x4 = x0;
        FloatVector x5 = x0;
        FloatVector x6 = x0;
        FloatVector x7 = x0;
        for (long i = 0; i < iters; i++) {
            x0 = x0.fma(a, b);
            x1 = x1.fma(a, b);
            x2 = x2.fma(a, b);
            x3 = x3.fma(a, b);
            x4 = x4.fma(a, b);
            x5 = x5.fma(a, b);
            x6 = x6.fma(a, b);
            x7 = x7.fma(a, b);
        }
        return x0.add(x1).add(x2).add(x3).add(x4).add(x5).add(x6).add(x7).reduceLanes(VectorOperators.ADD);
    }
}
