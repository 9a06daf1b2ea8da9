package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.pipeline.PipelineSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The shared --pipeline/--set mixin: the file or the embedded default, then every --set in command-line order. */
class PipelineOptionsTest {
    @TempDir
    Path tmp;

    @Command(name = "holder")
    static final class Holder {
        @Mixin
        PipelineOptions options;
    }

    private static PipelineOptions parse(String... args) {
        Holder h = new Holder();
        new CommandLine(h).parseArgs(args);
        return h.options;
    }

    @Test
    void setsApplyInOrderOverTheEmbeddedDefault() {
        PipelineSpec ps = parse("--set", "sampling.seed=3", "--set", "sampling.top_k=7", "--set", "sampling.seed=11").spec();
        assertEquals(11, ps.section("sampling").integer("seed"));
        assertEquals(7, ps.section("sampling").integer("top_k"));
        assertEquals("llamagen", ps.section("model").string("family"));
        // load() alone keeps the default's own values
        assertEquals(0, parse("--set", "sampling.seed=3").load().section("sampling").integer("seed"));
    }

    @Test
    void pipelineFileIsLoadedInsteadOfTheDefault() throws Exception {
        Path yaml = tmp.resolve("p.yaml");
        Files.writeString(yaml, """
                model: {family: lpd, checkpoint: m.safetensors}
                sampling: {top_k: 5, seed: 2}
                """);
        PipelineSpec ps = parse("--pipeline", yaml.toString(), "--set", "sampling.seed=4").spec();
        assertEquals(5, ps.section("sampling").integer("top_k"));
        assertEquals(4, ps.section("sampling").integer("seed"));
        assertEquals("lpd", ps.section("model").string("family"));
        assertTrue(ps.source().contains("p.yaml"), ps.source());
    }
}
