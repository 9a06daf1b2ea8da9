package io.tessera.spark;

import io.tessera.core.pipeline.Pipeline;
import io.tessera.core.plugin.PluginRegistry;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The executor side's loaded pipelines, created lazily and kept for the life of the executor JVM: a task
 * borrows one (loading it only if every loaded one is busy) and gives it back, so an executor loads the
 * model once per task slot it runs at the same time (once with {@code spark.executor.cores=1}, the usual
 * setting for one GPU per executor) and never once per task or shard. A pipeline's session is not shared
 * between threads.
 */
final class PipelineHolder {
    /** A pipeline with the registry it was built from. */
    record Loaded(PluginRegistry registry, Pipeline pipeline) {
    }

    private static final Map<String, Deque<Loaded>> IDLE = new HashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private PipelineHolder() {
    }

    /** Runs {@code body} with a pipeline of this job, loading one only if none is idle. */
    static <T> T with(JobConfig job, Function<Pipeline, T> body) {
        String key = job.pipelineKey();
        Loaded l;
        synchronized (IDLE) {
            l = IDLE.computeIfAbsent(key, k -> new ArrayDeque<>()).pollFirst();
        }
        if (l == null) {
            PluginRegistry reg = PluginRegistry.load(job.pluginDirs().stream().map(Path::of).toList());
            try {
                l = new Loaded(reg, Pipeline.open(job.spec(), reg));
            } catch (RuntimeException e) {
                reg.close();
                throw e;
            }
            LOADS.incrementAndGet();
        }
        try {
            return body.apply(l.pipeline());
        } finally {
            synchronized (IDLE) {
                IDLE.get(key).addFirst(l);
            }
        }
    }

    /** How many pipelines this JVM has loaded (tests: a resumed run loads none). */
    static int loads() {
        return LOADS.get();
    }
}
