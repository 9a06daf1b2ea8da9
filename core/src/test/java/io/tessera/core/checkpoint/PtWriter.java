package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes PyTorch {@code torch.save} files (zip format, pickle protocol 2) that torch and
 * {@link PtReader} can read: the committed generator of {@code .pt} fixtures, since no torch is
 * available to Tessera. Writes are atomic (temporary file + rename) and deterministic.
 *
 * <p>Archive: {@code archive/data.pkl}, {@code archive/byteorder} ("little"), {@code archive/data/<i>}
 * (one storage per tensor, raw little-endian bytes), {@code archive/version} ("3"); every entry STORED
 * with its data aligned to 64 bytes, as PyTorch writes them; ZIP64 records past 4 GiB.
 *
 * <p>Pickle (see {@link TorchPickle} for the opcodes): by default {@code {"model": OrderedDict(name →
 * tensor)}} (a LlamaGen DDP checkpoint), optionally with more top-level scalars (e.g. {@code "steps"})
 * and {@code "args"} as an {@code argparse.Namespace}; or the bare {@code OrderedDict} (an FSDP file).
 * Each tensor is {@code torch._utils._rebuild_tensor_v2(persistent_load(('storage',
 * torch.FloatStorage, '<i>', 'cpu', numel)), 0, size, stride, False, OrderedDict())}, and the state
 * dict carries {@code _metadata = OrderedDict({'': {'version': 1}})} as {@code Module.state_dict()} does.
 */
public final class PtWriter {
    /** The archive prefix written (torch ≥ 1.13 writes "archive"). */
    public static final String ARCHIVE = "archive";

    static final Map<DType, String> STORAGE_CLASS = new EnumMap<>(Map.of(
            DType.F32, "FloatStorage", DType.F16, "HalfStorage", DType.BF16, "BFloat16Storage",
            DType.F64, "DoubleStorage", DType.I64, "LongStorage", DType.I32, "IntStorage",
            DType.I16, "ShortStorage", DType.I8, "CharStorage", DType.U8, "ByteStorage", DType.BOOL, "BoolStorage"));

    /**
     * What to write around the state dict.
     *
     * @param stateDictKey top-level key holding the state dict ({@code "model"}, {@code "ema"}, ...) or
     *                     {@code null} to write the bare state dict (FSDP layout)
     * @param extras       more top-level entries: String, Integer, Long, Double, Boolean, null, List or Map values
     * @param args         attributes of an {@code argparse.Namespace} stored as {@code "args"}, or {@code null}
     * @param zip64        force ZIP64 records even for small files (they are used anyway past 4 GiB)
     */
    public record Options(String stateDictKey, Map<String, Object> extras, Map<String, Object> args, boolean zip64) {
        public Options {
            extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
            args = args == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(args));
        }

        /** {@code {"model": state_dict}}. */
        public static Options ddp() {
            return new Options("model", Map.of(), null, false);
        }

        /** The bare state dict at the top level. */
        public static Options fsdp() {
            return new Options(null, Map.of(), null, false);
        }

        public Options withKey(String key) {
            return new Options(key, extras, args, zip64);
        }

        public Options withExtra(String key, Object value) {
            Map<String, Object> m = new LinkedHashMap<>(extras);
            m.put(key, value);
            return new Options(stateDictKey, m, args, zip64);
        }

        public Options withArgs(Map<String, Object> namespace) {
            return new Options(stateDictKey, extras, namespace, zip64);
        }

        public Options withZip64(boolean force) {
            return new Options(stateDictKey, extras, args, force);
        }
    }

    /** A tensor as a view of one of the storages passed alongside (element offset and strides). */
    record View(String name, int storage, long offset, long[] shape, long[] stride) {
    }

    /** One storage: its dtype and raw little-endian bytes. */
    record Storage(DType dtype, MemorySegment bytes) {
    }

    private PtWriter() {
    }

    /** Writes {@code {"model": OrderedDict(stateDict)}}. */
    public static void write(Path file, Map<String, Tensor> stateDict) {
        write(file, stateDict, Options.ddp());
    }

    public static void write(Path file, Map<String, Tensor> stateDict, Options options) {
        List<Storage> storages = new ArrayList<>();
        List<View> views = new ArrayList<>();
        stateDict.forEach((name, t) -> {
            long[] shape = t.shape();
            long[] stride = new long[shape.length];
            long s = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                stride[i] = s;
                s *= Math.max(1, shape[i]);
            }
            views.add(new View(name, storages.size(), 0, shape, stride));
            storages.add(new Storage(t.dtype(), t.data()));
        });
        writeViews(file, storages, views, options);
    }

    /** Writes arbitrary views of storages (tests use it for non-contiguous and shared-storage tensors). */
    static void writeViews(Path file, List<Storage> storages, List<View> views, Options options) {
        byte[] pickle;
        try {
            pickle = pickle(storages, views, options);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file + ": cannot write " + e.getMessage());
        }
        long bytes = 0;
        for (Storage s : storages) {
            bytes += s.bytes().byteSize();
        }
        boolean zip64 = options.zip64() || ZipWriter.needsZip64(bytes + pickle.length, storages.size() + 3);
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        entries.put(ARCHIVE + "/data.pkl", MemorySegment.ofArray(pickle));
        entries.put(ARCHIVE + "/byteorder", ascii("little"));
        for (int i = 0; i < storages.size(); i++) {
            entries.put(ARCHIVE + "/data/" + i, storages.get(i).bytes());
        }
        entries.put(ARCHIVE + "/version", ascii("3\n"));
        writeArchive(file, entries, Set.of(), zip64);
    }

    /** Writes a zip of the given entries (in order); entries named in {@code deflate} are compressed (tests). */
    static void writeArchive(Path file, Map<String, MemorySegment> entries, Set<String> deflate, boolean zip64) {
        AtomicFiles.write(file, ch -> {
            ZipWriter zip = new ZipWriter(ch, zip64);
            for (Map.Entry<String, MemorySegment> e : entries.entrySet()) {
                if (deflate.contains(e.getKey())) {
                    zip.deflated(e.getKey(), e.getValue());
                } else {
                    zip.stored(e.getKey(), e.getValue());
                }
            }
            zip.finish();
        });
    }

    /**
     * A hostile file for tests: a torch archive whose {@code data.pkl} is {@code {"model":
     * module.name(argument)}}, i.e. a call of a global that is not in the reader's allow-list.
     */
    public static void writeForbiddenGlobal(Path file, String module, String name, String argument) {
        byte[] pickle = new TorchPickle().proto2().emptyDict().mark().string("model")
                .global(module, name).mark().string(argument).tuple().reduce()
                .setItems().stop().toByteArray();
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        entries.put(ARCHIVE + "/data.pkl", MemorySegment.ofArray(pickle));
        entries.put(ARCHIVE + "/version", ascii("3\n"));
        writeArchive(file, entries, Set.of(), false);
    }

    static MemorySegment ascii(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] pickle(List<Storage> storages, List<View> views, Options o) {
        TorchPickle p = new TorchPickle().proto2();
        boolean wrapped = o.stateDictKey() != null;
        if (wrapped) {
            p.emptyDict().mark().string(o.stateDictKey());
        } else if (!o.extras().isEmpty() || o.args() != null) {
            throw new IllegalArgumentException("extras or args without a state-dict key (the bare state dict is the top level)");
        }
        p.orderedDict();
        if (!views.isEmpty()) {
            p.mark();
            for (View v : views) {
                Storage s = storages.get(v.storage());
                long numel = s.bytes().byteSize() / s.dtype().byteSize();
                p.string(v.name());
                p.global("torch._utils", "_rebuild_tensor_v2").mark()
                        .mark().string("storage").global("torch", STORAGE_CLASS.get(s.dtype())).string(Integer.toString(v.storage()))
                        .string("cpu").integer(numel).tuple().binPersId()
                        .integer(v.offset()).intTuple(v.shape()).intTuple(v.stride()).bool(false).orderedDict()
                        .tuple().reduce();
            }
            p.setItems();
        }
        // state_dict()._metadata, an instance attribute of the OrderedDict: BUILD with {'_metadata': ...}.
        p.emptyDict().mark().string("_metadata")
                .orderedDict().mark().string("").value(Map.of("version", 1)).setItems()
                .setItems().build();
        if (wrapped) {
            o.extras().forEach((k, v) -> p.string(k).value(v));
            if (o.args() != null) {
                p.string("args").global("argparse", "Namespace").emptyTuple().newObj().value(o.args()).build();
            }
            p.setItems();
        }
        return p.stop().toByteArray();
    }
}
