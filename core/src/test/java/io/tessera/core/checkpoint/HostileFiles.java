package io.tessera.core.checkpoint;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The committed generator of hostile checkpoint files (issue #16, family 1): each method writes one
 * small {@code .pt} whose pickle or views, read naively, would kill the JVM (stack overflow, out of
 * memory) or burn minutes of CPU. The files are built on the fly in a test's temporary directory.
 */
final class HostileFiles {
    private HostileFiles() {
    }

    /** Writes {@code archive/data.pkl} = pickle plus storages {@code archive/data/<i>}. */
    static Path archive(Path dir, String name, byte[] pickle, MemorySegment... storages) {
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

    /** {@code {"model": OrderedDict(<items>)}} around the pickle text that {@code items} appends. */
    static byte[] model(java.util.function.Consumer<TorchPickle> items) {
        TorchPickle p = new TorchPickle().proto2().emptyDict().mark().string("model").orderedDict().mark();
        items.accept(p);
        return p.setItems().setItems().stop().toByteArray();
    }

    /** A {@code _rebuild_tensor_v2} call on float storage {@code key}. */
    static TorchPickle tensor(TorchPickle p, String key, long numel, long offset, long[] shape, long[] stride) {
        return p.global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().string("storage").global("torch", "FloatStorage").string(key).string("cpu").integer(numel).tuple().binPersId()
                .integer(offset).intTuple(shape).intTuple(stride).bool(false).orderedDict().tuple().reduce();
    }

    /** A list that contains itself: {@code l = []; l.append(l)}, as the value of "model". */
    static Path selfReferencingList(Path dir) {
        byte[] p = new TorchPickle().proto2().emptyDict().mark().string("model")
                .op(']').raw(new byte[] {'q', 0, 'h', 0}).op('a').setItems().stop().toByteArray();
        return archive(dir, "self-list.pt", p);
    }

    /** A list that contains itself used as a dict key (hashing it recurses forever). */
    static Path selfReferencingKey(Path dir) {
        byte[] p = new TorchPickle().proto2().emptyDict()
                .op(']').raw(new byte[] {'q', 0, 'h', 0}).op('a').integer(1).setItem().stop().toByteArray();
        return archive(dir, "self-key.pt", p);
    }

    /** Lists nested {@code depth} deep ({@code [[[...]]]}) as the value of "model". */
    static Path deeplyNested(Path dir, int depth) {
        byte[] open = new byte[depth];
        byte[] close = new byte[depth];
        java.util.Arrays.fill(open, (byte) '(');
        java.util.Arrays.fill(close, (byte) 'l');
        byte[] p = new TorchPickle().proto2().emptyDict().mark().string("model").raw(open).raw(close).setItems().stop().toByteArray();
        return archive(dir, "deep.pt", p);
    }

    /** Tuples nested {@code depth} deep used as a dict key (tuples hash by identity here, but printing recurses). */
    static Path deeplyNestedTuple(Path dir, int depth) {
        byte[] open = new byte[depth];
        byte[] close = new byte[depth];
        java.util.Arrays.fill(open, (byte) '(');
        java.util.Arrays.fill(close, (byte) 't');
        byte[] p = new TorchPickle().proto2().emptyDict().mark().string("model").raw(open).raw(close).setItems().stop().toByteArray();
        return archive(dir, "deep-tuple.pt", p);
    }

    /** A protocol-0 {@code INT} (or {@code LONG} when {@code asLong}) of {@code digits} decimal digits. */
    static Path hugeTextInteger(Path dir, int digits, boolean asLong) {
        String text = (asLong ? "L" : "I") + "7".repeat(digits) + (asLong ? "L" : "") + "\n";
        byte[] p = new TorchPickle().proto2().emptyDict().mark().string("steps")
                .raw(text.getBytes(StandardCharsets.US_ASCII)).setItems().stop().toByteArray();
        return archive(dir, (asLong ? "long-" : "int-") + digits + ".pt", p);
    }

    /** A {@code LONG4} integer of {@code bytes} bytes. */
    static Path hugeBinaryInteger(Path dir, int bytes) {
        byte[] op = new byte[5 + bytes];
        op[0] = (byte) 0x8b;
        op[1] = (byte) bytes;
        op[2] = (byte) (bytes >>> 8);
        op[3] = (byte) (bytes >>> 16);
        op[4] = (byte) (bytes >>> 24);
        java.util.Arrays.fill(op, 5, op.length, (byte) 0x55);
        byte[] p = new TorchPickle().proto2().emptyDict().mark().string("steps").raw(op).setItems().stop().toByteArray();
        return archive(dir, "long4.pt", p);
    }

    /** {@code entries} distinct memo entries ({@code LONG_BINPUT i} of None). */
    static Path memoFlood(Path dir, int entries) {
        TorchPickle p = new TorchPickle().proto2().emptyDict();
        byte[] put = new byte[6 * entries];
        for (int i = 0; i < entries; i++) {
            put[6 * i] = 'N';
            put[6 * i + 1] = 'r';
            put[6 * i + 2] = (byte) i;
            put[6 * i + 3] = (byte) (i >>> 8);
            put[6 * i + 4] = (byte) (i >>> 16);
            put[6 * i + 5] = (byte) (i >>> 24);
        }
        p.raw(put).op('0'); // leaves None values on the stack; POP one: the memo is what matters
        return archive(dir, "memo.pt", p.stop().toByteArray());
    }

    /** {@code views} stride-0 views of {@code 1 << log2} elements each over one 8-byte storage. */
    static Path strideZeroViews(Path dir, int views, int log2) {
        byte[] p = model(t -> {
            for (int i = 0; i < views; i++) {
                tensor(t.string("w" + i), "0", 2, 0, new long[] {1L << log2}, new long[] {0});
            }
        });
        return archive(dir, "stride0.pt", p, floats(1, 2));
    }

    /** {@code views} transposed views of one {@code n × n} storage (legal one by one; together they copy {@code views × n²} floats). */
    static Path manyTransposedViews(Path dir, int views, int n) {
        byte[] p = model(t -> {
            for (int i = 0; i < views; i++) {
                tensor(t.string("w" + i), "0", (long) n * n, 0, new long[] {n, n}, new long[] {1, n});
            }
        });
        return archive(dir, "transposed.pt", p, floats(new float[n * n]));
    }

    static MemorySegment floats(float... v) {
        return Tensor.ofFloats("s", new long[] {v.length}, v).data();
    }
}
