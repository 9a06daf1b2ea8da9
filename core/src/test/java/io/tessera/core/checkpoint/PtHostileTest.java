package io.tessera.core.checkpoint;

import static io.tessera.core.checkpoint.Fixtures.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .pt files that lie, attack or are simply not torch files: each fails with one line, nothing executed. */
class PtHostileTest {
    @TempDir
    Path dir;

    /** Writes {@code archive/data.pkl} = pickle plus the given storages (archive/data/<i>). */
    private Path archive(String name, byte[] pickle, MemorySegment... storages) {
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", MemorySegment.ofArray(pickle));
        for (int i = 0; i < storages.length; i++) {
            entries.put("archive/data/" + i, storages[i]);
        }
        entries.put("archive/version", PtWriter.ascii("3\n"));
        Path f = dir.resolve(name);
        PtWriter.writeArchive(f, entries, Set.of(), false);
        return f;
    }

    /** A _rebuild_tensor_v2 call on storage {@code key}. */
    private static TorchPickle tensor(TorchPickle p, String storageClass, String key, long numel, long offset, long[] shape, long[] stride) {
        return p.global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().string("storage").global("torch", storageClass).string(key).string("cpu").integer(numel).tuple().binPersId()
                .integer(offset).intTuple(shape).intTuple(stride).bool(false).orderedDict().tuple().reduce();
    }

    private static MemorySegment floats(float... v) {
        return Tensor.ofFloats("s", new long[] {v.length}, v).data();
    }

    @Test
    void forbiddenGlobalsAreRefusedByName() {
        Path os = dir.resolve("os.pt");
        PtWriter.writeForbiddenGlobal(os, "os", "system", "echo pwned");
        assertOneLine(() -> Checkpoints.open(os), "os.pt", "refusing to unpickle global 'os.system' (not in the allow-list)");
        Path eval = dir.resolve("eval.pt");
        PtWriter.writeForbiddenGlobal(eval, "builtins", "eval", "1+1");
        assertOneLine(() -> Checkpoints.open(eval), "eval.pt", "refusing to unpickle global 'builtins.eval'");
        Path reconstructor = dir.resolve("copyreg.pt");
        PtWriter.writeForbiddenGlobal(reconstructor, "copyreg", "_reconstructor", "x");
        assertOneLine(() -> Checkpoints.open(reconstructor), "copyreg.pt", "'copyreg._reconstructor'");
    }

    @Test
    void disallowedGlobalIsRefusedBeforeAnyOpcodeCanActOnIt() throws IOException {
        Path marker = dir.resolve("pwned");
        // {"model": posix.system("touch <marker>")} followed by garbage: the refusal must come at GLOBAL,
        // before REDUCE, and before the parser reaches the garbage.
        byte[] pickle = new TorchPickle().proto2().emptyDict().mark().string("model")
                .global("posix", "system").mark().string("touch " + marker).tuple().reduce()
                .raw(new byte[] {(byte) 0xff, (byte) 0xfe, 0}).toByteArray();
        Path f = archive("posix.pt", pickle);
        assertOneLine(() -> Checkpoints.open(f), "posix.pt", "refusing to unpickle global 'posix.system'");
        assertFalse(Files.exists(marker), "nothing was executed");
        // The same call through STACK_GLOBAL (protocol 4 spelling).
        byte[] stackGlobal = new TorchPickle().proto2().string("posix").string("system").op((char) 0x93)
                .mark().string("touch " + marker).tuple().reduce().stop().toByteArray();
        Path g = archive("stack.pt", stackGlobal);
        assertOneLine(() -> Checkpoints.open(g), "stack.pt", "refusing to unpickle global 'posix.system'");
        // INST names a class and calls it in one opcode: refused outright.
        byte[] inst = new TorchPickle().proto2().mark().string("touch " + marker).op('i')
                .raw("posix\nsystem\n".getBytes(StandardCharsets.US_ASCII)).stop().toByteArray();
        Path h = archive("inst.pt", inst);
        assertOneLine(() -> Checkpoints.open(h), "inst.pt", "refusing pickle opcode INST");
        assertFalse(Files.exists(marker), "nothing was executed");
    }

    @Test
    void compressedStorageEntryIsRefused() {
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        byte[] pickle = tensor(new TorchPickle().proto2().emptyDict().mark().string("model").orderedDict().mark().string("w"),
                "FloatStorage", "0", 3, 0, new long[] {3}, new long[] {1}).setItems().setItems().stop().toByteArray();
        entries.put("archive/data.pkl", MemorySegment.ofArray(pickle));
        entries.put("archive/data/0", floats(1, 2, 3));
        entries.put("archive/version", PtWriter.ascii("3\n"));
        Path f = dir.resolve("deflated.pt");
        PtWriter.writeArchive(f, entries, Set.of("archive/data/0"), false);
        assertOneLine(() -> Checkpoints.open(f), "deflated.pt", "zip entry 'archive/data/0' is compressed");
    }

    @Test
    void zipWithoutDataPklIsNotATorchFile() throws IOException {
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        entries.put("archive/version", PtWriter.ascii("3\n"));
        entries.put("archive/data/0", floats(1));
        Path f = dir.resolve("nopkl.pt");
        PtWriter.writeArchive(f, entries, Set.of(), false);
        assertOneLine(() -> Checkpoints.open(f), "nopkl.pt", "not a PyTorch checkpoint", "data.pkl");

        Path plain = dir.resolve("notes.pt");
        try (OutputStream out = Files.newOutputStream(plain); ZipOutputStream z = new ZipOutputStream(out)) {
            z.putNextEntry(new ZipEntry("hello.txt"));
            z.write("hello".getBytes(StandardCharsets.UTF_8));
            z.closeEntry();
        }
        assertOneLine(() -> Checkpoints.open(plain), "notes.pt", "not a PyTorch checkpoint");
    }

    @Test
    void truncatedAndCorruptZips() throws IOException {
        Path good = dir.resolve("good.pt");
        PtWriter.write(good, Fixtures.mixed());
        byte[] all = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.pt");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        assertOneLine(() -> Checkpoints.open(cut), "cut.pt", "end-of-central-directory record not found");
        Path tiny = dir.resolve("tiny.pt");
        Files.write(tiny, new byte[] {'P', 'K', 3, 4});
        assertOneLine(() -> Checkpoints.open(tiny), "tiny.pt");
        // Central directory pointing past the end of the file.
        byte[] bad = all.clone();
        int eocd = bad.length - 22;
        bad[eocd + 16] = (byte) 0xff;
        bad[eocd + 17] = (byte) 0xff;
        bad[eocd + 18] = (byte) 0xff;
        bad[eocd + 19] = 0x7f;
        Path off = dir.resolve("offset.pt");
        Files.write(off, bad);
        assertOneLine(() -> Checkpoints.open(off), "offset.pt", "central directory");
    }

    @Test
    void storagesThatLie() {
        byte[] wrongNumel = tensor(new TorchPickle().proto2().emptyDict().mark().string("model").orderedDict().mark().string("w"),
                "FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1}).setItems().setItems().stop().toByteArray();
        Path a = archive("numel.pt", wrongNumel, floats(1, 2, 3));
        assertOneLine(() -> Checkpoints.open(a), "numel.pt", "tensor 'w'", "storage '0' has 12 bytes", "need 16");

        byte[] outOfRange = tensor(new TorchPickle().proto2().emptyDict().mark().string("model").orderedDict().mark().string("w"),
                "FloatStorage", "0", 3, 2, new long[] {2}, new long[] {1}).setItems().setItems().stop().toByteArray();
        Path b = archive("view.pt", outOfRange, floats(1, 2, 3));
        assertOneLine(() -> Checkpoints.open(b), "view.pt", "tensor 'w'", "reaches element 3", "which has 3");

        byte[] missing = tensor(new TorchPickle().proto2().emptyDict().mark().string("model").orderedDict().mark().string("w"),
                "FloatStorage", "7", 1, 0, new long[] {1}, new long[] {1}).setItems().setItems().stop().toByteArray();
        Path c = archive("missing.pt", missing, floats(1));
        assertOneLine(() -> Checkpoints.open(c), "missing.pt", "tensor 'w'", "'archive/data/7' is missing");

        byte[] untyped = new TorchPickle().proto2().emptyDict().mark().string("model").orderedDict().mark().string("w")
                .global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().string("storage").global("torch", "UntypedStorage").string("0").string("cpu").integer(4).tuple().binPersId()
                .tuple().reduce().setItems().setItems().stop().toByteArray();
        Path d = archive("untyped.pt", untyped, floats(1));
        assertOneLine(() -> Checkpoints.open(d), "untyped.pt", "refusing to unpickle global 'torch.UntypedStorage'");
    }

    @Test
    void garbageAndHostilePickles() {
        Path a = archive("garbage.pt", new byte[] {(byte) 0x80, 2, 'Z', 'Z', '.'});
        assertOneLine(() -> Checkpoints.open(a), "garbage.pt", "data.pkl is not a valid torch pickle");
        // A BINUNICODE claiming 2 GiB: refused before allocating.
        Path b = archive("huge.pt", new byte[] {(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a', '.'});
        assertOneLine(() -> Checkpoints.open(b), "huge.pt", "exceeds the");
        Path c = archive("empty-pickle.pt", new byte[0]);
        assertOneLine(() -> Checkpoints.open(c), "empty-pickle.pt", "not a valid torch pickle");
        Path d = archive("list.pt", new TorchPickle().proto2().op(']').stop().toByteArray());
        assertOneLine(() -> Checkpoints.open(d), "list.pt", "top-level object is a", "expected a dict");
        // REDUCE on a storage class (allow-listed as a name, but not callable).
        Path e = archive("call.pt", new TorchPickle().proto2().global("torch", "FloatStorage").emptyTuple().reduce().stop().toByteArray());
        assertOneLine(() -> Checkpoints.open(e), "call.pt", "'torch.FloatStorage' is not callable");
        // BUILD on something that is neither a Namespace nor a dict.
        Path g = archive("build.pt", new TorchPickle().proto2().string("x").emptyDict().build().stop().toByteArray());
        assertOneLine(() -> Checkpoints.open(g), "build.pt", "BUILD on a String");
    }

    @Test
    void legacyAndEmptyFiles() throws IOException {
        Path legacy = dir.resolve("legacy.pt");
        byte[] magic = {(byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};
        Files.write(legacy, new TorchPickle().proto2().raw(magic).stop().toByteArray());
        assertOneLine(() -> Checkpoints.open(legacy), "legacy.pt", "legacy PyTorch format");
        Path empty = Files.createFile(dir.resolve("empty.pt"));
        assertOneLine(() -> Checkpoints.open(empty), "empty.pt", "file is empty");
        assertOneLine(() -> PtReader.read(empty), "empty.pt", "file is empty");
        assertOneLine(() -> PtReader.read(dir.resolve("absent.pt")), "absent.pt", "no such file");
    }

    @Test
    void modelIsPreferredOverEmaAndEmaCanBeChosen() {
        TorchPickle p = new TorchPickle().proto2().emptyDict().mark();
        p.string("ema").orderedDict().mark().string("w");
        tensor(p, "FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).setItems();
        p.string("model").orderedDict().mark().string("w");
        tensor(p, "FloatStorage", "1", 2, 0, new long[] {2}, new long[] {1}).setItems();
        Path f = archive("both.pt", p.setItems().stop().toByteArray(), floats(1, 2), floats(3, 4));
        try (Checkpoint c = Checkpoints.open(f)) {
            assertEquals("model", c.metadata().get("pt.state_dict_key"));
            assertEquals(3f, c.get("w").getFloat(0));
        }
        try (Checkpoint c = PtReader.read(f, "ema")) {
            assertEquals(1f, c.get("w").getFloat(0));
        }
    }

    @Test
    void allowListIsExplicit() {
        assertTrue(TorchUnpickler.ALLOWED.contains("torch._utils._rebuild_tensor_v2"));
        assertTrue(TorchUnpickler.ALLOWED.contains("argparse.Namespace"));
        assertFalse(TorchUnpickler.ALLOWED.stream().anyMatch(n -> n.startsWith("builtins") || n.startsWith("os") || n.startsWith("posix")));
        assertEquals(17, TorchUnpickler.ALLOWED.size());
    }
}
