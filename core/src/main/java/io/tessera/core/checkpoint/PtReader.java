package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a PyTorch {@code torch.save} file (the zip format of PyTorch ≥ 1.6, as LlamaGen publishes
 * {@code c2i_B_256.pt} and {@code vq_ds16_c2i.pt}) without executing anything from it.
 *
 * <p>Archive layout: {@code <prefix>/data.pkl} (the pickled object), {@code <prefix>/data/<key>} (one
 * STORED entry per storage, raw little-endian elements), {@code <prefix>/version}, optionally
 * {@code <prefix>/byteorder}. The zip is memory-mapped; the pickle is read by {@link TorchUnpickler}
 * with an explicit allow-list of globals ({@link TorchUnpickler#ALLOWED}); any other global fails with
 * {@code "<file>: refusing to unpickle global 'os.system' (not in the allow-list)"} before anything can
 * act on it. A tensor whose view is contiguous is a slice of its storage entry (no copy); a
 * non-contiguous view is copied, row-major, into a heap segment. Compressed or encrypted storage
 * entries, big-endian archives and the legacy (pre-1.6) format are refused.
 *
 * <p>State-dict unwrapping follows LlamaGen's {@code autoregressive/sample/sample_c2i.py}: the first of
 * {@link #STATE_DICT_KEYS} present in the top-level dict ({@code model}, then {@code module}, then
 * {@code state_dict}; {@code ema} only when none of those exists), else the top-level dict itself
 * (FSDP files). Only tensor entries of that dict are kept; other values are ignored. Metadata:
 * {@code pt.state_dict_key} (the key used, or {@value #ROOT} for the top level), {@code pt.archive}
 * (the prefix), {@code pt.<key>} for top-level scalars (e.g. {@code pt.steps}) and
 * {@code pt.args.<name>} for scalar attributes of an {@code args} namespace.
 */
public final class PtReader {
    /** Keys tried, in order, for the state dict inside a training checkpoint. */
    public static final List<String> STATE_DICT_KEYS = List.of("model", "module", "state_dict", "ema");
    /** The {@code pt.state_dict_key} value when the top-level dict is the state dict. */
    public static final String ROOT = "<root>";
    /** Largest {@code data.pkl} read (real ones are kilobytes to a few megabytes: tensors live in storages). */
    static final long MAX_PICKLE_BYTES = 64L << 20;

    private PtReader() {
    }

    /** Reads {@code file}, choosing the state dict as described in the class comment. */
    public static Checkpoint read(Path file) {
        return read(file, null);
    }

    /**
     * Reads {@code file} taking the state dict from top-level key {@code stateDictKey} ({@link #ROOT} for
     * the top-level dict itself; {@code null} to choose automatically).
     */
    public static Checkpoint read(Path file, String stateDictKey) {
        FileMapping.requireReadableFile(file);
        Arena arena = Arena.ofShared();
        try {
            MemorySegment seg = FileMapping.mapReadOnly(file, arena);
            return parse(file, seg, arena, stateDictKey);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Checkpoint parse(Path file, MemorySegment seg, Arena arena, String wantedKey) {
        ZipArchive zip = ZipArchive.parse(file, seg);
        String prefix = null;
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash).equals("/data.pkl")) {
                if (prefix != null) {
                    throw new CheckpointException(file + ": zip holds more than one torch archive ('" + prefix
                            + "/data.pkl' and '" + name + "')");
                }
                prefix = name.substring(0, slash);
            }
        }
        if (prefix == null) {
            throw new CheckpointException(file + ": zip file is not a PyTorch checkpoint (no '<archive>/data.pkl' entry)");
        }
        ZipArchive.Entry order = zip.entries().get(prefix + "/byteorder");
        if (order != null) {
            String bo = new String(zip.data(order).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).strip();
            if (!bo.equals("little")) {
                throw new CheckpointException(file + ": storages are stored in '" + bo + "' byte order; only little-endian is supported");
            }
        }
        MemorySegment pkl = zip.data(zip.entries().get(prefix + "/data.pkl"));
        if (pkl.byteSize() > MAX_PICKLE_BYTES) {
            throw new CheckpointException(file + ": '" + prefix + "/data.pkl' is " + pkl.byteSize() + " bytes (at most "
                    + MAX_PICKLE_BYTES + " are read; tensors belong in storage entries)");
        }
        byte[] pickle = pkl.toArray(ValueLayout.JAVA_BYTE);
        Object root = new TorchUnpickler(file).unpickle(pickle);
        if (!(root instanceof Map<?, ?> top)) {
            throw new CheckpointException(file + ": top-level object is a " + typeName(root) + ", expected a dict");
        }
        String key = chooseKey(file, top, wantedKey);
        Object chosen = key.equals(ROOT) ? top : top.get(key);
        if (!(chosen instanceof Map<?, ?> stateDict)) {
            throw new CheckpointException(file + ": entry '" + key + "' is a " + typeName(chosen) + ", expected a state dict");
        }
        Storages storages = new Storages(file, zip, prefix, seg.byteSize());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : stateDict.entrySet()) {
            if (e.getKey() instanceof String name && e.getValue() instanceof TorchUnpickler.TensorRef ref) {
                tensors.put(name, storages.tensor(name, ref));
            }
        }
        if (tensors.isEmpty()) {
            throw new CheckpointException(file + ": state dict '" + key + "' holds no tensors");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("pt.state_dict_key", key);
        metadata.put("pt.archive", prefix);
        for (Map.Entry<?, ?> e : top.entrySet()) {
            if (e.getKey() instanceof String k && isScalar(e.getValue())) {
                metadata.putIfAbsent("pt." + k, String.valueOf(e.getValue())); // never shadows the reader's own keys
            }
        }
        if (top.get("args") instanceof TorchUnpickler.Namespace ns) {
            ns.attributes.forEach((k, v) -> {
                if (isScalar(v)) {
                    metadata.putIfAbsent("pt.args." + k, v == null ? "None" : String.valueOf(v));
                }
            });
        }
        return new MappedCheckpoint(file, arena, tensors, metadata);
    }

    private static boolean isScalar(Object v) {
        return v == null || v instanceof String || v instanceof Number || v instanceof Boolean;
    }

    private static String chooseKey(Path file, Map<?, ?> top, String wanted) {
        if (wanted != null) {
            if (!wanted.equals(ROOT) && !top.containsKey(wanted)) {
                List<String> keys = new ArrayList<>();
                top.keySet().forEach(k -> keys.add(String.valueOf(k)));
                throw new CheckpointException(file + ": no top-level entry '" + wanted + "' (entries: "
                        + (keys.size() > 12 ? keys.subList(0, 12) + "..." : keys) + ")");
            }
            return wanted;
        }
        for (String k : STATE_DICT_KEYS) {
            if (top.containsKey(k)) {
                return k;
            }
        }
        return ROOT;
    }

    private static String typeName(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    /** Storage entries of one archive, checked once each. */
    private static final class Storages {
        private final Path file;
        private final ZipArchive zip;
        private final String prefix;
        private final Map<String, MemorySegment> bytes = new HashMap<>();
        private final Map<String, TorchUnpickler.StorageRef> refs = new HashMap<>();
        /** Bytes non-contiguous views may still copy: all of them together never exceed the file's size. */
        private long copyBudget;

        Storages(Path file, ZipArchive zip, String prefix, long fileBytes) {
            this.file = file;
            this.zip = zip;
            this.prefix = prefix;
            this.copyBudget = fileBytes;
        }

        private MemorySegment storage(String tensor, TorchUnpickler.StorageRef ref) {
            TorchUnpickler.StorageRef seen = refs.putIfAbsent(ref.key(), ref);
            if (seen != null && (seen.dtype() != ref.dtype() || seen.numel() != ref.numel())) {
                throw new CheckpointException(file + ": tensor '" + tensor + "': storage '" + ref.key() + "' is named as "
                        + seen.dtype() + "[" + seen.numel() + "] and as " + ref.dtype() + "[" + ref.numel() + "]");
            }
            return bytes.computeIfAbsent(ref.key(), k -> {
                ZipArchive.Entry e = zip.entries().get(prefix + "/data/" + k);
                if (e == null) {
                    throw new CheckpointException(file + ": tensor '" + tensor + "': storage entry '" + prefix + "/data/" + k
                            + "' is missing");
                }
                MemorySegment s = zip.data(e);
                long expected = ref.numel() * ref.dtype().byteSize();
                if (ref.numel() > Long.MAX_VALUE / 8 || s.byteSize() != expected) {
                    throw new CheckpointException(file + ": tensor '" + tensor + "': storage '" + k + "' has " + s.byteSize()
                            + " bytes, but " + ref.numel() + " " + ref.dtype() + " elements need " + expected);
                }
                return s;
            });
        }

        Tensor tensor(String name, TorchUnpickler.TensorRef ref) {
            MemorySegment storage = storage(name, ref.storage());
            long[] shape = ref.shape();
            long[] stride = ref.stride();
            long es = ref.storage().dtype().byteSize();
            String where = file + ": tensor '" + name + "'";
            long numel = 1;
            long last = ref.offset(); // largest element index the view touches
            boolean contiguous = true;
            long expectStride = 1;
            try {
                for (int i = shape.length - 1; i >= 0; i--) {
                    if (shape[i] < 0 || stride[i] < 0) {
                        throw new CheckpointException(where + ": negative size or stride (size " + Arrays.toString(shape)
                                + ", stride " + Arrays.toString(stride) + ")");
                    }
                    numel = Math.multiplyExact(numel, shape[i]);
                    if (shape[i] > 1) {
                        last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
                        contiguous &= stride[i] == expectStride;
                    }
                    expectStride = Math.multiplyExact(expectStride, Math.max(1, shape[i]));
                }
            } catch (ArithmeticException overflow) {
                throw new CheckpointException(where + ": size " + Arrays.toString(shape) + " / stride "
                        + Arrays.toString(stride) + " overflows 64 bits");
            }
            DType dtype = ref.storage().dtype();
            if (numel == 0) {
                return new Tensor(name, dtype, shape, storage.asSlice(0, 0));
            }
            if (ref.offset() < 0 || last >= ref.storage().numel()) {
                throw new CheckpointException(where + ": view (offset " + ref.offset() + ", size " + Arrays.toString(shape)
                        + ", stride " + Arrays.toString(stride) + ") reaches element " + last + " of storage '"
                        + ref.storage().key() + "' which has " + ref.storage().numel());
            }
            if (contiguous) {
                return new Tensor(name, dtype, shape, storage.asSlice(ref.offset() * es, numel * es));
            }
            if (numel > ref.storage().numel()) {
                // Only overlapping (e.g. stride-0, expanded) views can claim more elements than their storage.
                throw new CheckpointException(where + ": non-contiguous view of " + numel + " elements (size " + Arrays.toString(shape)
                        + ", stride " + Arrays.toString(stride) + ") overlaps itself: more than the " + ref.storage().numel()
                        + " elements of storage '" + ref.storage().key() + "' (save it with .contiguous() or .clone())");
            }
            if (numel * es > Integer.MAX_VALUE - 8) {
                throw new CheckpointException(where + ": non-contiguous view of " + numel + " elements is too large to copy");
            }
            if (numel * es > copyBudget) {
                throw new CheckpointException(where + ": non-contiguous views would copy more bytes than the file holds"
                        + " (refused as hostile; save the tensors with .contiguous())");
            }
            copyBudget -= numel * es;
            return new Tensor(name, dtype, shape, gather(storage, ref.offset(), shape, stride, es, numel));
        }

        /** Copies a strided view into a new heap segment in row-major order. */
        private static MemorySegment gather(MemorySegment src, long offset, long[] shape, long[] stride, long es, long numel) {
            MemorySegment dst = MemorySegment.ofArray(new byte[(int) (numel * es)]);
            long[] idx = new long[shape.length];
            for (long n = 0; n < numel; n++) {
                long at = offset;
                for (int d = 0; d < shape.length; d++) {
                    at += idx[d] * stride[d];
                }
                MemorySegment.copy(src, at * es, dst, n * es, es);
                for (int d = shape.length - 1; d >= 0; d--) {
                    if (++idx[d] < shape[d]) {
                        break;
                    }
                    idx[d] = 0;
                }
            }
            return dst;
        }
    }
}
