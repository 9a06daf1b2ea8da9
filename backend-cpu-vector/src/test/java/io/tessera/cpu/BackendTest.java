package io.tessera.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.BackendException;
import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.ModelSpec;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendTest {
    @Test
    void readsOptionsAndRejectsUnknownKeys() {
        CpuOptions o = CpuOptions.parse(TestTensors.options(3, "scalar"));
        assertEquals(3, o.threads());
        assertFalse(o.vectorKernels());
        CpuOptions d = CpuOptions.parse(BackendOptions.defaults());
        assertEquals(Runtime.getRuntime().availableProcessors(), d.threads());
        assertTrue(d.vectorKernels());
        ConfigException typo = assertThrows(ConfigException.class, () -> CpuOptions.parse(
                new BackendOptions(new ConfigNode("backend", Map.of("name", "cpu-vector", "thread", 2)))));
        assertTrue(typo.getMessage().contains("backend.thread"), typo.getMessage());
        ConfigException bad = assertThrows(ConfigException.class, () -> CpuOptions.parse(
                new BackendOptions(new ConfigNode("backend", Map.of("kernels", "simd")))));
        assertTrue(bad.getMessage().contains("backend.kernels"), bad.getMessage());
    }

    @Test
    void refusesOtherFamilies() {
        ModelSpec lpd = new io.tessera.core.contract.ForeignModel("dalle");
        BackendException e = assertThrows(BackendException.class,
                () -> new CpuVectorBackend().openModel(lpd, BackendOptions.defaults()));
        assertEquals("cpu-vector: family 'dalle' is not implemented", e.getMessage());
        assertEquals("cpu-vector", new CpuVectorBackend().name());
    }
}
