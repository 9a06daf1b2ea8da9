package io.tessera.core.checkpoint;

import static io.tessera.core.checkpoint.Fixtures.assertSameTensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.VqConfig;
import io.tessera.core.model.VqWeights;
import io.tessera.core.model.RandomWeights;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PtTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryDtypeAsSlicesOfTheMappedZip() {
        Map<String, Tensor> in = Fixtures.mixed();
        Path f = dir.resolve("c2i_B_256.pt");
        PtWriter.write(f, in);
        try (Checkpoint c = PtReader.read(f)) {
            assertSameTensors(in, c.tensors());
            assertEquals("model", c.metadata().get("pt.state_dict_key"));
            assertEquals("archive", c.metadata().get("pt.archive"));
            for (Tensor t : c.tensors().values()) {
                if (t.numel() > 0) {
                    assertTrue(t.data().isMapped(), t + " is mapped");
                    assertEquals(0, t.data().address() % 64, t + " starts on a 64-byte boundary like torch writes it");
                }
            }
        }
    }

    @Test
    void writtenArchiveIsAValidZipWithTorchLayout() throws IOException {
        Path f = dir.resolve("layout.pt");
        PtWriter.write(f, Fixtures.mixed());
        try (ZipFile z = new ZipFile(f.toFile())) { // the JDK's reader checks the structure independently
            List<String> names = z.stream().map(ZipEntry::getName).toList();
            assertEquals("archive/data.pkl", names.get(0));
            assertEquals("archive/byteorder", names.get(1));
            assertEquals("archive/data/0", names.get(2));
            assertEquals("archive/version", names.get(names.size() - 1));
            for (ZipEntry e : z.stream().toList()) {
                assertEquals(ZipEntry.STORED, e.getMethod(), e.getName());
                byte[] b = z.getInputStream(e).readAllBytes(); // verifies the CRC-32
                assertEquals(e.getSize(), b.length);
            }
            assertEquals("3\n", new String(z.getInputStream(z.getEntry("archive/version")).readAllBytes()));
        }
    }

    @Test
    void forcedZip64ReadsTheSame() throws IOException {
        Map<String, Tensor> in = Fixtures.mixed();
        Path f = dir.resolve("zip64.pt");
        PtWriter.write(f, in, PtWriter.Options.ddp().withZip64(true));
        try (ZipFile z = new ZipFile(f.toFile())) {
            assertEquals(in.size() + 3, z.size());
        }
        try (Checkpoint c = Checkpoints.open(f)) {
            assertSameTensors(in, c.tensors());
        }
    }

    @Test
    void fsdpFileIsTheStateDictItself() {
        Map<String, Tensor> in = Fixtures.mixed();
        Path f = dir.resolve("c2i_XXL_384.pt");
        PtWriter.write(f, in, PtWriter.Options.fsdp());
        try (Checkpoint c = Checkpoints.open(f)) {
            assertSameTensors(in, c.tensors());
            assertEquals(PtReader.ROOT, c.metadata().get("pt.state_dict_key"));
        }
    }

    @Test
    void trainingCheckpointWithStepsArgsAndNestedValues() {
        Map<String, Tensor> in = Fixtures.mixed();
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("gpt_model", "GPT-B");
        args.put("image_size", 256);
        args.put("lr", 1e-4);
        args.put("from_fsdp", false);
        args.put("vq_ckpt", null);
        args.put("ema", List.of(1, "two"));
        Path f = dir.resolve("0050000.pt");
        PtWriter.write(f, in, PtWriter.Options.ddp().withExtra("steps", 50000L).withExtra("optimizer", Map.of("lr", 0.5))
                .withArgs(args));
        try (Checkpoint c = Checkpoints.open(f)) {
            assertSameTensors(in, c.tensors());
            assertEquals("model", c.metadata().get("pt.state_dict_key"));
            assertEquals("50000", c.metadata().get("pt.steps"));
            assertEquals("GPT-B", c.metadata().get("pt.args.gpt_model"));
            assertEquals("256", c.metadata().get("pt.args.image_size"));
            assertEquals("1.0E-4", c.metadata().get("pt.args.lr"));
            assertEquals("false", c.metadata().get("pt.args.from_fsdp"));
            assertEquals("None", c.metadata().get("pt.args.vq_ckpt"));
            assertFalse(c.metadata().containsKey("pt.args.ema"), "non-scalar args are not metadata");
        }
    }

    @Test
    void stateDictKeyPrecedenceFollowsSampleC2i() {
        Map<String, Tensor> a = Map.of("a", Fixtures.tensor("a", DType.F32, 1, 2));
        Path emaOnly = dir.resolve("ema.pt");
        PtWriter.write(emaOnly, a, PtWriter.Options.ddp().withKey("ema"));
        try (Checkpoint c = Checkpoints.open(emaOnly)) {
            assertEquals("ema", c.metadata().get("pt.state_dict_key"));
        }
        Path module = dir.resolve("module.pt");
        PtWriter.write(module, a, PtWriter.Options.ddp().withKey("module"));
        try (Checkpoint c = Checkpoints.open(module)) {
            assertEquals("module", c.metadata().get("pt.state_dict_key"));
            assertTrue(c.get("a").sameAs(a.get("a")));
        }
        Fixtures.assertOneLine(() -> PtReader.read(module, PtReader.ROOT), "module.pt", "state dict '<root>' holds no tensors");
        Fixtures.assertOneLine(() -> PtReader.read(module, "ema"), "module.pt", "no top-level entry 'ema'", "[module]");
    }

    @Test
    void nonContiguousViewsAreCopiedRowMajorAndOffsetViewsAreSlices() {
        float[] values = {0, 1, 2, 3, 4, 5};
        Tensor base = Tensor.ofFloats("base", new long[] {6}, values);
        List<PtWriter.Storage> storages = List.of(new PtWriter.Storage(DType.F32, base.data()));
        List<PtWriter.View> views = List.of(
                new PtWriter.View("transposed", 0, 0, new long[] {3, 2}, new long[] {1, 3}), // [2,3].T
                new PtWriter.View("tail", 0, 2, new long[] {2, 2}, new long[] {2, 1}),
                new PtWriter.View("broadcast", 0, 1, new long[] {2, 1}, new long[] {0, 7}));
        Path f = dir.resolve("views.pt");
        PtWriter.writeViews(f, storages, views, PtWriter.Options.ddp());
        try (Checkpoint c = Checkpoints.open(f)) {
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, c.get("transposed").toFloatArray());
            assertFalse(c.get("transposed").data().isNative(), "non-contiguous view is a heap copy");
            assertArrayEquals(new float[] {2, 3, 4, 5}, c.get("tail").toFloatArray());
            assertTrue(c.get("tail").data().isMapped(), "contiguous view with an offset is a slice");
            assertArrayEquals(new float[] {1, 1}, c.get("broadcast").toFloatArray());
        }
    }

    @Test
    void ptConvertsToSafetensorsWithIdenticalTensors() {
        Map<String, Tensor> in = Fixtures.mixed();
        Path pt = dir.resolve("in.pt");
        Path st = dir.resolve("out.safetensors");
        PtWriter.write(pt, in);
        Checkpoints.convertToSafetensors(pt, st);
        try (Checkpoint a = Checkpoints.open(pt); Checkpoint b = Checkpoints.open(st)) {
            assertSameTensors(a.tensors(), b.tensors());
            assertSameTensors(in, b.tensors());
            assertEquals("model", b.metadata().get("pt.state_dict_key"));
        }
    }

    @Test
    void llamaGenModelLoadsFromAPtFile() {
        LlamaGenConfig config = LlamaGenConfig.of(64, 2, 4, 4);
        Map<String, Tensor> w = RandomWeights.llamaGen(config, 11);
        Path f = dir.resolve("c2i_tiny.pt");
        PtWriter.write(f, w, PtWriter.Options.ddp().withExtra("steps", 10).withArgs(Map.of("gpt_model", "GPT-tiny")));
        try (Checkpoint c = Checkpoints.open(f)) {
            LlamaGenWeights weights = new LlamaGenWeights(config, c);
            assertTrue(weights != null);
            assertSameTensors(w, c.tensors());
        }
    }

    @Test
    void vqLoadsFromAPtFile() {
        VqConfig config = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2}, 1, 3);
        Map<String, Tensor> w = RandomWeights.vq(config, 5);
        Path f = dir.resolve("vq_tiny.pt");
        PtWriter.write(f, w);
        try (Checkpoint c = Checkpoints.open(f)) {
            new VqWeights(config, c);
            assertSameTensors(w, c.tensors());
        }
    }

    @Test
    void formatIsDetectedFromContentsNotTheName() {
        Map<String, Tensor> in = Map.of("a", Fixtures.tensor("a", DType.BF16, 3, 4));
        Path ptNamedSt = dir.resolve("weights.safetensors");
        PtWriter.write(ptNamedSt, in);
        try (Checkpoint c = Checkpoints.open(ptNamedSt)) {
            assertEquals("model", c.metadata().get("pt.state_dict_key"));
            assertSameTensors(in, c.tensors());
        }
        Path stNamedPt = dir.resolve("weights.pt");
        SafetensorsWriter.write(stNamedPt, in);
        try (Checkpoint c = Checkpoints.open(stNamedPt)) {
            assertTrue(c.metadata().isEmpty());
            assertSameTensors(in, c.tensors());
        }
    }

    @Test
    void sharedStoragesResolveOnce() {
        MemorySegment bytes = Fixtures.tensor("s", DType.I64, 9, 4).data();
        List<PtWriter.Storage> storages = List.of(new PtWriter.Storage(DType.I64, bytes));
        List<PtWriter.View> views = List.of(
                new PtWriter.View("first", 0, 0, new long[] {2}, new long[] {1}),
                new PtWriter.View("second", 0, 2, new long[] {2}, new long[] {1}));
        Path f = dir.resolve("shared.pt");
        PtWriter.writeViews(f, storages, views, PtWriter.Options.fsdp());
        try (Checkpoint c = Checkpoints.open(f)) {
            assertEquals(bytes.getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 2), c.get("second").getLong(0));
            assertEquals(c.get("first").data().address() + 16, c.get("second").data().address());
        }
    }

    @Test
    void writerIsDeterministic() throws IOException {
        Path a = dir.resolve("a.pt");
        Path b = dir.resolve("b.pt");
        PtWriter.write(a, Fixtures.mixed());
        PtWriter.write(b, Fixtures.mixed());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }
}
