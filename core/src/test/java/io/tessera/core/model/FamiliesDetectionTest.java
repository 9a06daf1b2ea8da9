package io.tessera.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.DType;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.pipeline.ModelLoader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera inspect}'s recognition of every official PAR and LPD layout (full-size shapes over one sparse,
 * never-read file mapping), and the {@code model:} node of both families.
 */
class FamiliesDetectionTest {
    @TempDir
    static Path dir;
    private static Arena arena;
    private static MemorySegment zeros;

    @BeforeAll
    static void mapSparseFile() throws IOException {
        Path f = dir.resolve("sparse.bin");
        long size = 16384L * 3200 * 2; // the largest tensor of any preset, in BF16
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
        shapes.forEach((name, shape) -> {
            long n = 1;
            for (long s : shape) {
                n *= s;
            }
            t.put(name, new Tensor(name, DType.BF16, shape, zeros.asSlice(0, 2 * n)));
        });
        return new MemoryCheckpoint("layout", t);
    }

    @Test
    void detectsEveryParPresetWithItsRegions() {
        for (String shape : ParConfig.presetNames()) {
            for (int n : new int[] {4, 16}) {
                ParConfig c = ParConfig.preset(shape + "-" + n + "x", 24, 4);
                Detector.Detection d = Detector.detect(layout(ParWeights.layout(c)));
                assertEquals("par", d.family());
                assertEquals(shape + "-" + n + "x", d.preset());
                assertEquals((long) n, d.fields().get("regions"));
                assertEquals(shape + "-" + n + "x", c.presetName());
            }
        }
        LlamaGenConfig b = LlamaGenConfig.preset("gpt-b", 16);
        assertEquals("llamagen", Detector.detect(layout(LlamaGenWeights.layout(b))).family());
    }

    @Test
    void detectsEveryLpdPreset() {
        for (String name : LpdConfig.presetNames()) {
            for (int grid : new int[] {16, 32}) {
                Detector.Detection d = Detector.detect(layout(LpdWeights.layout(LpdConfig.preset(name, grid))));
                assertEquals("lpd", d.family());
                assertEquals(name, d.preset());
                assertEquals(LpdConfig.preset(name, grid).numHeads(), d.fields().get("decoder_num_heads"));
            }
        }
    }

    @Test
    void lpdLayoutIsTheOfficialStateDict() {
        Map<String, long[]> l = LpdWeights.layout(LpdConfig.preset("lpd-l", 16));
        assertEquals(7 + 24 * 12 + 3, l.size());
        assertEquals("[1, 257, 1024]", java.util.Arrays.toString(l.get("pos_embed")));
        assertEquals("[3072, 1024]", java.util.Arrays.toString(l.get("blocks.23.attn.qkv.weight")));
        assertEquals("[4096]", java.util.Arrays.toString(l.get("blocks.0.mlp.fc1.bias")));
        assertEquals("[1, 1, 1024]", java.util.Arrays.toString(l.get("mask_token")));
        assertEquals("[1000, 1024]", java.util.Arrays.toString(l.get("class_emb.weight")));
        long params = l.values().stream().mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
        // 337M in the paper: blocks 302.3M + embeddings/head 34.9M
        assertEquals(337, Math.round(params / 1e6));
    }

    static ConfigNode node(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return new ConfigNode("model", m);
    }

    @Test
    void loaderReadsBothFamilies() {
        ModelLoader.Loaded par = ModelLoader.load(node("family", "par", "dim", 16, "n_layer", 1, "n_head", 2, "vocab_size", 64,
                "num_classes", 10, "grid", 8, "regions", 16, "checkpoint", "random:0"), dir);
        ParModel p = assertInstanceOf(ParModel.class, par.spec());
        assertEquals(16, p.config().regions());
        assertEquals(64, p.cacheCapacity());
        ModelLoader.Loaded lpd = ModelLoader.load(node("family", "lpd", "decoder_embed_dim", 16, "decoder_depth", 1,
                "decoder_num_heads", 2, "vqgan_vocab_size", 64, "class_num", 10, "grid", 4, "checkpoint", "random:0"), dir);
        LpdModel l = assertInstanceOf(LpdModel.class, lpd.spec());
        assertEquals(10, l.nullClass());
        assertEquals(17, l.cacheCapacity());
        assertEquals(16, ModelLoader.parConfig(node("preset", "PAR-XXL-16x")).regions());
        assertEquals(24, ModelLoader.parConfig(node("preset", "par-l")).gpt().grid());
        assertEquals(4, ModelLoader.parConfig(node("preset", "par-l")).regions());
        ConfigException e = assertThrows(ConfigException.class, () -> ModelLoader.parConfig(node("preset", "par-xl-16x", "regions", 4)));
        assertEquals("model.regions: 4 contradicts preset 'par-xl-16x' (16 regions)", e.getMessage());
        ConfigException e2 = assertThrows(ConfigException.class, () -> ModelLoader.parConfig(node("preset", "par-l", "regions", 9, "grid", 16)));
        assertEquals("model.regions: 9 regions need a grid side divisible by 3, got grid 16", e2.getMessage());
    }
}
