package io.tessera.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.CheckpointException;
import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.Checkpoint;
import io.tessera.core.checkpoint.Checkpoints;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.RandarGolden;
import io.tessera.core.pipeline.ModelLoader;
import io.tessera.core.model.RandomWeights;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The randar family in core: presets, name map against the official file, inspect, loader and its one-line errors. */
class RandarFamilyTest {
    private static final RandarConfig TINY = new RandarConfig(
            new LlamaGenConfig(16, 1, 2, 2, 32, Float.NaN, 1e-5f, 10000f, 64, 10, 1, 0.1f, 4));
    @TempDir
    static Path dir;
    private static Arena arena;
    private static MemorySegment zeros;

    @BeforeAll
    static void mapSparseFile() throws IOException {
        Path f = dir.resolve("sparse.bin");
        long size = 16384L * 1280 * 2; // the largest tensor of either preset, in BF16
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
        }
        arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(f)) {
            zeros = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        }
    }

    @AfterAll
    static void unmap() throws IOException {
        arena.close();
        Files.deleteIfExists(dir.resolve("sparse.bin"));
    }

    private static MemoryCheckpoint layout(Map<String, long[]> shapes) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> t.put(name, new Tensor(name, DType.BF16, shape,
                zeros.asSlice(0, 2 * Arrays.stream(shape).reduce(1, (a, b) -> a * b)))));
        return new MemoryCheckpoint("layout", t);
    }

    private static long params(Map<String, long[]> layout) {
        return layout.values().stream().mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
    }

    /** randar-l = GPT-L + one [1, 1024] vector (0.3B); randar-xl = GPT-XL + [1, 1280] (0.7B); inspect names both. */
    @Test
    void presetsAreTheOfficialConfigsAndInspectDetectsThem() {
        for (String name : RandarConfig.presetNames()) {
            RandarConfig c = RandarConfig.preset(name, 16);
            Map<String, long[]> l = RandarWeights.layout(c);
            assertEquals("[1, " + c.gpt().dim() + "]", Arrays.toString(l.get(RandarWeights.POS_INSTRUCT)));
            assertEquals(params(LlamaGenWeights.layout(c.gpt())) + c.gpt().dim(), params(l));
            Detector.Detection d = Detector.detect(layout(l));
            assertEquals("randar", d.family());
            assertEquals(name, d.preset());
            assertEquals(name, c.presetName());
            assertEquals(513, c.cacheSlots());
        }
        assertEquals(343, Math.round(params(RandarWeights.layout(RandarConfig.preset("randar-l", 16))) / 1e6));
        assertEquals(775, Math.round(params(RandarWeights.layout(RandarConfig.preset("RandAR-XL", 16))) / 1e6));
        assertEquals(new LlamaGenConfig(1024, 24, 16, 16, 256, Float.NaN, 1e-5f, 10000f, 16384, 1000, 1, 0.1f, 16),
                RandarConfig.preset("randar-l", 16).gpt()); // configs/randar/randar_l_0.3b_llamagen.yaml
        ConfigException e = assertThrows(ConfigException.class, () -> RandarConfig.preset("randar-b", 16));
        assertEquals("model.preset: unknown RandAR preset 'randar-b' (valid: randar-l, randar-xl)", e.getMessage());
    }

    /** The official file (state_dict() as safetensors, made by tools/randar/make_golden.py) maps tensor for tensor. */
    @Test
    void theOfficialFileIsTheNameMapAndIsDetected(@TempDir Path tmp) {
        RandarGolden golden = new RandarGolden();
        try (Checkpoint ckpt = Checkpoints.open(golden.checkpointFile(tmp))) {
            assertEquals(RandarWeights.layout(golden.config()).keySet(), ckpt.tensors().keySet());
            RandarModel m = golden.model(ckpt);
            assertEquals(2 * 64 + 1, m.cacheCapacity());
            assertEquals(10, m.nullClass());
            Detector.Detection d = Detector.detect(ckpt);
            assertEquals("randar", d.family());
            assertEquals("custom", d.preset());
            assertEquals(32, d.fields().get("dim"));
        }
    }

    private static ConfigNode node(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return new ConfigNode("model", m);
    }

    @Test
    void loaderReadsPresetsAndExplicitFields() {
        ModelLoader.Loaded r = ModelLoader.load(node("family", "randar", "dim", 16, "n_layer", 1, "n_head", 2, "vocab_size", 64,
                "num_classes", 10, "grid", 4, "multiple_of", 32, "checkpoint", "random:0"), dir);
        RandarModel m = assertInstanceOf(RandarModel.class, r.spec());
        assertEquals(TINY, m.config());
        assertEquals("randar", m.family());
        r.checkpoint().close();
        assertEquals(RandarConfig.preset("randar-xl", 16), ModelLoader.randarConfig(node("preset", "randar-xl")));
        ConfigException e = assertThrows(ConfigException.class, () -> ModelLoader.load(node("family", "randar"), dir));
        assertTrue(e.getMessage().startsWith("model.preset: give a preset (randar-l, randar-xl)"), e.getMessage());
    }

    /** Bad input: a LlamaGen or PAR file, a wrong-shaped vector, an LPD file: one line naming the file and tensor. */
    @Test
    void wrongLayoutsFailWithOneLine() {
        Map<String, Tensor> llamagen = RandomWeights.llamaGen(TINY.gpt(), 1);
        assertOneLine("missing.pt: missing tensor 'pos_instruct_embeddings' (RandAR's position-instruction vector; this looks like"
                + " a LlamaGen checkpoint: set model.family accordingly)", llamagen);
        Map<String, Tensor> par = new LinkedHashMap<>(llamagen);
        par.put(ParWeights.TRANSITION, Tensor.ofFloats(ParWeights.TRANSITION, new long[] {3, 16}, new float[48]));
        assertOneLine("missing.pt: missing tensor 'pos_instruct_embeddings' (RandAR's position-instruction vector; this looks like"
                + " a PAR checkpoint: set model.family accordingly)", par);
        Map<String, Tensor> flat = new LinkedHashMap<>(RandomWeights.randar(TINY, 1));
        flat.put(RandarWeights.POS_INSTRUCT, Tensor.ofFloats(RandarWeights.POS_INSTRUCT, new long[] {16}, new float[16]));
        assertOneLine("missing.pt: tensor 'pos_instruct_embeddings' has shape [16], expected [1, 16]", flat);
        Map<String, Tensor> extra = new LinkedHashMap<>(RandomWeights.randar(TINY, 1));
        extra.put("layers.1.ffn_norm.weight", Tensor.ofFloats("layers.1.ffn_norm.weight", new long[] {16}, new float[16]));
        assertOneLine("missing.pt: unexpected tensor 'layers.1.ffn_norm.weight' (not part of this model; check the family, preset"
                + " and n_layer)", extra);
        Map<String, Tensor> lpd = RandomWeights.lpd(new LpdConfig(16, 1, 2, 4.0, 64, 10, 1e-6f, 4), 1);
        TesseraException e = assertThrows(TesseraException.class, () -> new RandarWeights(TINY, new MemoryCheckpoint(Path.of("missing.pt"), lpd, Map.of())));
        assertEquals("missing.pt: missing tensor 'cls_embedding.embedding_table.weight'", e.getMessage());
    }

    private static void assertOneLine(String expected, Map<String, Tensor> tensors) {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> new RandarWeights(TINY, new MemoryCheckpoint(Path.of("missing.pt"), tensors, Map.of())));
        assertEquals(expected, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
