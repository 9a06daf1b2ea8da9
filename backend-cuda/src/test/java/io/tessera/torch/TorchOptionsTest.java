package io.tessera.torch;

import static io.tessera.torch.Fixtures.Entry;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.tessera.core.BackendException;
import io.tessera.core.ConfigException;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.spi.BackendOptions;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** (e) The backend node's errors, and refusals of what the backend does not run. */
class TorchOptionsTest {
    private static final TorchBackend BACKEND = new TorchBackend();
    private static LlamaGenModel model;

    @BeforeAll
    static void tinyModel() {
        model = Fixtures.model(Fixtures.TINY, 1);
    }

    private static String message(Class<? extends RuntimeException> type, BackendOptions options) {
        RuntimeException e = assertThrows(type, () -> BACKEND.openModel(model, options).close());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e.getMessage();
    }

    @Test
    void defaultsAreAutoFloat32AllProcessors() {
        TorchOptions o = TorchOptions.read(Fixtures.options());
        assertEquals(TorchInfo.cudaAvailable(), o.cuda());
        assertFalse(o.bf16());
        assertEquals(Runtime.getRuntime().availableProcessors(), o.threads());
        assertEquals("torch", BACKEND.name());
    }

    @Test
    void cudaWithoutGpuIsRefused() {
        assumeFalse(TorchInfo.cudaAvailable(), "this machine has a GPU");
        String m = message(BackendException.class, Fixtures.options("device", "cuda"));
        assertTrue(m.contains("backend.device") && m.contains("cuda"), m);
    }

    @Test
    void bfloat16OnCpuIsRefused() {
        String m = message(BackendException.class, Fixtures.options("device", "cpu", "dtype", "bfloat16"));
        assertTrue(m.contains("backend.dtype") && m.contains("CUDA"), m);
    }

    @Test
    void badValuesAndUnknownKeysNameTheirPath() {
        assertTrue(message(ConfigException.class, Fixtures.options("device", "tpu")).startsWith("backend.device:"));
        assertTrue(message(ConfigException.class, Fixtures.options("dtype", "float16")).startsWith("backend.dtype:"));
        assertTrue(message(ConfigException.class, Fixtures.options("threads", 0)).startsWith("backend.threads:"));
        assertTrue(message(ConfigException.class, Fixtures.options("kv_cache", "float16")).startsWith("backend.kv_cache:"));
        assertTrue(message(ConfigException.class, Fixtures.options("kernels", "fast")).startsWith("backend.kernels: unknown key"));
    }

    @Test
    void otherFamiliesAreRefused() {
        ModelSpec lpd = new io.tessera.core.contract.ForeignModel("dalle");
        BackendException e = assertThrows(BackendException.class, () -> BACKEND.openModel(lpd, Fixtures.cpu()));
        assertEquals("torch: family 'dalle' is not implemented", e.getMessage());
    }

    @Test
    void badBatchesAreRefused() {
        try (GptSession s = BACKEND.openModel(model, Fixtures.cpu())) {
            ForwardBatch cls = Fixtures.batch(new Entry[][] {{Entry.cls(1, 17)}});
            assertTrue(assertThrows(BackendException.class, () -> s.forward(cls)).getMessage().contains("call reset"));
            s.reset(1, 17);
            ForwardBatch query = Fixtures.batch(new Entry[][] {{new Entry(EntryKind.QUERY, 0, 1, 1, Fixtures.upTo(1, 17))}});
            assertTrue(assertThrows(BackendException.class, () -> s.forward(query)).getMessage().contains("QUERY"));
            ForwardBatch badToken = Fixtures.batch(new Entry[][] {{Entry.token(16384, 0, 17)}});
            assertTrue(assertThrows(BackendException.class, () -> s.forward(badToken)).getMessage().contains("token id 16384"));
            ForwardBatch badCell = Fixtures.batch(new Entry[][] {{new Entry(EntryKind.TOKEN, 1, 17, 1, Fixtures.upTo(1, 17))}});
            assertTrue(assertThrows(BackendException.class, () -> s.forward(badCell)).getMessage().contains("position 17"));
            ForwardBatch otherCapacity = Fixtures.batch(new Entry[][] {{Entry.cls(1, 20)}});
            assertThrows(BackendException.class, () -> s.forward(otherCapacity));
            assertEquals(16384, s.forward(cls).length); // the session still works
        }
    }

    @Test
    void infoNamesLibtorch() {
        TorchInfo info = TorchInfo.query();
        assertTrue(info.libtorchVersion().matches("\\d+\\.\\d+.*"), info.toString());
        assertEquals(info.cuda(), TorchInfo.cudaAvailable());
    }
}
