package io.tessera.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.model.LlamaGenConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineSpecTest {
    @TempDir
    Path tmp;

    @Test
    void malformedYamlNamesFileAndLine() throws Exception {
        Path f = tmp.resolve("bad.yaml");
        Files.writeString(f, "model:\n  family: llamagen\n  dim: [1, 2\norder: {name: raster}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineSpec.load(f));
        assertTrue(e.getMessage().startsWith(f + ": malformed YAML at line"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void unknownSectionIsRejected() {
        ConfigException e = assertThrows(ConfigException.class, () -> PipelineSpec.parse("modle: {}\n", "p.yaml", tmp));
        assertEquals("p.yaml: modle: unknown section (known: model, tokenizer, backend, order, sampling)", e.getMessage());
    }

    @Test
    void aNonMappingDocumentIsRejected() {
        assertThrows(ConfigException.class, () -> PipelineSpec.parse("- a\n- b\n", "p.yaml", tmp));
    }

    @Test
    void unsafeYamlTagsAreRefused() {
        String evil = "model: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://x\"]]]]\n";
        assertThrows(ConfigException.class, () -> PipelineSpec.parse(evil, "evil.yaml", tmp));
    }

    @Test
    void setOverridesNestedKeysWithTypedValues() {
        PipelineSpec s = PipelineSpec.parse("order: {name: zipar, window: 8}\nsampling: {cfg_scale: 2.0}\n", "p.yaml", tmp);
        s.set("order.window=4").set("sampling.top_k=1").set("sampling.cfg_scale=1.5");
        ConfigNode order = s.section("order");
        assertEquals(4, order.integer("window"));
        SamplingConfig sc = SamplingConfig.from(s.section("sampling"));
        assertEquals(1, sc.topK());
        assertEquals(1.5, sc.cfgScale());
        assertThrows(ConfigException.class, () -> s.set("window=4"));
        assertThrows(ConfigException.class, () -> s.set("order.window"));
    }

    @Test
    void samplingValidationNamesThePath() {
        PipelineSpec s = PipelineSpec.parse("sampling: {top_p: 0, cfg_scale: 2}\n", "p.yaml", tmp);
        assertEquals("sampling.top_p: must be in (0, 1], got 0.0", assertThrows(ConfigException.class, () -> SamplingConfig.from(s.section("sampling"))).getMessage());
        PipelineSpec s2 = PipelineSpec.parse("sampling: {temprature: 1}\n", "p.yaml", tmp);
        assertTrue(assertThrows(ConfigException.class, () -> SamplingConfig.from(s2.section("sampling"))).getMessage().startsWith("sampling.temprature: unknown key"));
    }

    @Test
    void modelPresetsAndExplicitFields() {
        PipelineSpec s = PipelineSpec.parse("model: {family: llamagen, preset: GPT-B, grid: 24}\n", "p.yaml", tmp);
        LlamaGenConfig c = ModelLoader.llamaGenConfig(s.section("model"));
        assertEquals(768, c.dim());
        assertEquals(2048, c.ffnHidden());
        assertEquals(576, c.blockSize());
        PipelineSpec bad = PipelineSpec.parse("model: {family: llamagen, preset: gpt-q}\n", "p.yaml", tmp);
        assertEquals("model.preset: unknown preset 'gpt-q' (valid: gpt-b, gpt-l, gpt-xl, gpt-xxl, gpt-3b)",
                assertThrows(ConfigException.class, () -> ModelLoader.llamaGenConfig(bad.section("model"))).getMessage());
        PipelineSpec fam = PipelineSpec.parse("model: {family: dalle}\n", "p.yaml", tmp);
        assertTrue(assertThrows(ConfigException.class, () -> ModelLoader.load(fam.section("model"), tmp)).getMessage()
                .startsWith("model.family: unknown model family 'dalle'"));
    }

    @Test
    void presetTablesMatchTheOfficialParameterCounts() {
        // ALGORITHMS.md §A.1: parameter counts computed from the official modules
        long[][] expected = {{110_888_448L}, {342_910_976L}, {774_699_520L}, {1_410_972_672L}, {3_096_659_200L}};
        String[] names = {"gpt-b", "gpt-l", "gpt-xl", "gpt-xxl", "gpt-3b"};
        for (int i = 0; i < names.length; i++) {
            LlamaGenConfig c = LlamaGenConfig.preset(names[i], 16);
            long params = 0;
            for (long[] shape : io.tessera.core.model.LlamaGenWeights.layout(c).values()) {
                long n = 1;
                for (long d : shape) {
                    n *= d;
                }
                params += n;
            }
            assertEquals(expected[i][0], params, names[i]);
        }
    }

    @Test
    void randomCheckpointNeedsAnIntegerSeed() {
        PipelineSpec s = PipelineSpec.parse("model: {family: llamagen, dim: 16, n_layer: 1, n_head: 2, vocab_size: 32, num_classes: 4, grid: 2, checkpoint: 'random:x'}\n", "p.yaml", tmp);
        assertEquals("model.checkpoint: random weights need an integer seed, as in random:0, got 'random:x'",
                assertThrows(TesseraException.class, () -> ModelLoader.load(s.section("model"), tmp)).getMessage());
    }
}
