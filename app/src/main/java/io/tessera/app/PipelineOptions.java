package io.tessera.app;

import io.tessera.core.pipeline.PipelineSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The pipeline options of generate, serve and serve-bench (a picocli mixin): which pipeline file, and field overrides. */
public final class PipelineOptions {
    @Option(names = "--pipeline", paramLabel = "FILE", description = "Pipeline YAML (default: the embedded default pipeline).")
    Path pipeline;

    @Option(names = "--set", paramLabel = "PATH=VALUE", description = "Override any pipeline field, e.g. --set order.window=4 (repeatable).")
    List<String> sets = new ArrayList<>();

    /** The pipeline file's spec ({@code --pipeline}, else the embedded default pipeline), without the overrides. */
    public PipelineSpec load() {
        return pipeline == null ? DefaultPipeline.load() : PipelineSpec.load(pipeline);
    }

    /** Applies every {@code --set} to {@code ps}, in command-line order; returns {@code ps}. */
    public PipelineSpec applySets(PipelineSpec ps) {
        for (String s : sets) {
            ps.set(s);
        }
        return ps;
    }

    /** {@link #load()} with every {@code --set} applied. */
    public PipelineSpec spec() {
        return applySets(load());
    }
}
