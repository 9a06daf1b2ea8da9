package io.tessera.app;

import io.tessera.core.io.ProgressBars;
import io.tessera.core.io.Images;
import io.tessera.core.decode.Generator;
import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.pipeline.PipelineSpec;
import io.tessera.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tessera generate}: sample images with a pipeline and write a PNG grid (and the tokens). */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate images with a pipeline and write them as a PNG grid.")
public final class GenerateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    PipelineOptions pipelineOptions;

    @Spec
    CommandSpec spec;

    @Option(names = "--class", paramLabel = "N", description = "Class to generate (repeatable; default: classes 0..9, or all if fewer).")
    List<Integer> classes = new ArrayList<>();

    @Option(names = "--n", paramLabel = "N", defaultValue = "1", description = "Images per class (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--seed", paramLabel = "S", description = "Seed (overrides sampling.seed).")
    Long seed;

    @Option(names = "--order", paramLabel = "NAME", description = "Order (replaces the pipeline's order section; add options with --set order.KEY=VALUE).")
    String order;

    @Option(names = "--backend", paramLabel = "NAME", description = "Backend (replaces the pipeline's backend section).")
    String backend;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "16", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", paramLabel = "FILE", defaultValue = "grid.png", description = "PNG grid to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--tokens-out", paramLabel = "FILE", description = "Also write the token grids as int32 .npy [N, H, W].")
    Path tokensOut;

    @Option(names = {"-v", "--verbose"}, description = "Print passes per image, tokens per pass and timings.")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        PipelineSpec ps = pipelineOptions.load();
        if (order != null) {
            ps.replaceSection("order", order);
        }
        if (backend != null) {
            ps.replaceSection("backend", backend);
        }
        pipelineOptions.applySets(ps);
        if (seed != null) {
            ps.set("sampling.seed=" + seed);
        }
        if (perClass < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--n must be ≥ 1, got " + perClass);
        }
        if (batch < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch must be ≥ 1, got " + batch);
        }
        try (PluginRegistry registry = common.registry(); Pipeline p = Pipeline.open(ps, registry)) {
            List<Integer> cls = new ArrayList<>(classes);
            if (cls.isEmpty()) {
                for (int c = 0; c < Math.min(10, p.model().numClasses()); c++) {
                    cls.add(c);
                }
            }
            long count = (long) cls.size() * perClass;
            long pixels = count * 3L * p.imageSize() * p.imageSize();
            if (count * p.adapter().grid().cells() > Integer.MAX_VALUE - 8 || pixels > Integer.MAX_VALUE - 8) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--n " + perClass + " × " + cls.size()
                        + " classes = " + count + " images of " + p.imageSize() + "x" + p.imageSize()
                        + " px is more than one grid image can hold (run several commands with different --seed)");
            }
            int[] all = new int[(int) count];
            for (int j = 0; j < perClass; j++) {
                for (int c = 0; c < cls.size(); c++) {
                    all[j * cls.size() + c] = cls.get(c);
                }
            }
            int cells = p.adapter().grid().cells();
            long t0 = System.nanoTime();
            Generator.Result r;
            try (ProgressBar bar = ProgressBars.bar("generate", (long) all.length * cells, "tok", err)) {
                r = p.generate(all, batch, (done, total) -> bar.stepTo(done));
            }
            long t1 = System.nanoTime();
            float[] images = p.decode(r.tokens());
            long t2 = System.nanoTime();
            int size = p.imageSize();
            try (AtomicFiles.Outputs files = AtomicFiles.outputs()) { // the PNG and the tokens: both or neither
                files.png(out, Images.grid(images, all.length, 3, size, cls.size(), 1, 0xffffff));
                if (tokensOut != null) {
                    int[] flat = new int[all.length * cells];
                    for (int i = 0; i < all.length; i++) {
                        System.arraycopy(r.tokens()[i], 0, flat, i * cells, cells);
                    }
                    files.npyInt32(tokensOut, flat, all.length, p.adapter().grid().height(), p.adapter().grid().width());
                }
                files.commit();
            }
            PrintWriter o = spec.commandLine().getOut();
            if (verbose) {
                int passes = r.passes()[0];
                o.printf("model: %s, grid %s, order: %s, backend: %s%n", p.model().family(), p.adapter().grid(), p.order().name(), p.backend().name());
                o.printf("steps per image (forward passes): %d; tokens per pass: %.2f%n", passes, (double) cells / passes);
                o.printf("generate: %.1f ms per image (%d images, batch %d, %d forward calls); decode: %.1f ms per image%n",
                        (t1 - t0) / 1e6 / all.length, all.length, batch, r.forwardCalls(), (t2 - t1) / 1e6 / all.length);
            }
            o.println("wrote " + out + (tokensOut != null ? " and " + tokensOut : "") + " (" + all.length + " images, " + size + "x" + size + " px)");
        }
        return 0;
    }
}
