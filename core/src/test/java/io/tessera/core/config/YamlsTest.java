package io.tessera.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.pipeline.OrderSpec;
import io.tessera.core.pipeline.PipelineSpec;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue #16 families 3 and 4: duplicate YAML keys are refused by key and line; malformed --order specs are one-line errors. */
class YamlsTest {
    private static String error(Runnable r) {
        String m = assertThrows(ConfigException.class, r::run).getMessage();
        assertTrue(!m.contains("\n"), m);
        return m;
    }

    @Test
    void duplicateKeysAreRefusedNamingKeyAndLine() {
        String yaml = "model:\n  family: llamagen\nsampling:\n  seed: 1\n  seed: 2\n";
        assertEquals("p.yaml: duplicate key 'seed' at line 5, column 3 (each key may appear once in a mapping)",
                error(() -> PipelineSpec.parse(yaml, "p.yaml", Path.of("."))));
        assertTrue(error(() -> PipelineSpec.parse("order: {name: raster}\norder: {name: zipar}\n", "q.yaml", Path.of(".")))
                .startsWith("q.yaml: duplicate key 'order' at line 2"));
        // Keys that differ in YAML but read the same to Tessera (1 and "1") are duplicates too.
        assertEquals("order.1: duplicate key '1' (each key may appear once in a mapping)",
                error(() -> new ConfigNode("order", new java.util.LinkedHashMap<Object, Object>(Map.of(1, "a", "1", "b")))));
        // Without duplicates the document loads as before.
        assertEquals(Map.of("a", 1, "b", 2), Yamls.load("{a: 1, b: 2}", "x"));
    }

    @Test
    void malformedOrderSpecsAreOneLineConfigErrors() {
        assertTrue(error(() -> OrderSpec.parse("zipar:window=[1")).startsWith("order 'zipar:window=[1': option window: malformed YAML"));
        assertTrue(error(() -> OrderSpec.parse("zipar:window=2,window=3")).contains("option 'window' is given twice"));
        assertTrue(error(() -> OrderSpec.parse("zipar:name=raster")).contains("option 'name' is given as an option"));
        assertTrue(error(() -> OrderSpec.parse("zipar:=3")).contains("is not KEY=VALUE"));
        assertTrue(error(() -> OrderSpec.parse(":window=3")).contains("missing name"));
        assertTrue(error(() -> OrderSpec.parse("zipar:window=*x")).contains("malformed YAML"));
        assertEquals(Map.of("window", 4), OrderSpec.parse("zipar:window=4").options());
    }

    @Test
    void setOverridesUseTheSameRules() {
        PipelineSpec spec = PipelineSpec.parse("order: {name: raster}\n", "p.yaml", Path.of("."));
        assertTrue(error(() -> spec.set("order.window={a: 1, a: 2}")).startsWith("--set order.window: duplicate key 'a'"));
        assertTrue(error(() -> spec.set("order.window=[")).startsWith("--set order.window: malformed YAML"));
    }
}
