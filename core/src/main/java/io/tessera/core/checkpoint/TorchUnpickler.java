package io.tessera.core.checkpoint;

import io.tessera.core.CheckpointException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Unpickles a torch.save {@code data.pkl} with an explicit allow-list of globals, on top of
 * razorvine's {@link Unpickler} (which handles the plain-data opcodes: ints, floats, strings, tuples,
 * lists, memo, MARK, REDUCE/NEWOBJ, BINPERSID, STOP).
 *
 * <p>This class takes over the opcodes that matter for safety and fidelity:
 * <ul>
 * <li>{@code GLOBAL}/{@code STACK_GLOBAL}: only the names in {@link #ALLOWED} resolve, each to an inert
 *     Java constructor written here; any other name is refused <em>when the opcode is read</em>, so no
 *     later opcode (REDUCE, BUILD, ...) can act on it. razorvine's static constructor registry is never
 *     consulted or modified (no global side effects).</li>
 * <li>{@code INST}, {@code OBJ}, {@code EXT1/2/4}: refused (they name or call classes outside the allow-list path).</li>
 * <li>{@code BUILD}: an {@code argparse.Namespace} takes the state's entries as attributes; an
 *     {@code OrderedDict}'s instance attributes (e.g. {@code state_dict()._metadata}) are dropped;
 *     anything else is refused (razorvine would call {@code __setstate__} reflectively).</li>
 * <li>{@code EMPTY_DICT}, {@code DICT}, {@code SETITEMS}: insertion-ordered maps (razorvine uses a
 *     {@code HashMap} batch, which would lose the state-dict order).</li>
 * <li>length-prefixed strings/bytes/longs: the length is checked against the bytes left before
 *     anything is allocated.</li>
 * <li>bounded work: at most {@value #MAX_OPCODES} opcodes, {@value #MAX_MEMO} memo entries, integers of at
 *     most {@value #MAX_DIGITS} decimal digits ({@code INT}/{@code LONG}, CPython's own default limit) or
 *     {@value #MAX_LONG_BYTES} bytes ({@code LONG4}); dict keys and set items must be hashable scalars or
 *     tuples (as in Python), so no hash ever recurses; the finished object graph is walked without
 *     recursion and refused if it nests deeper than {@value #MAX_DEPTH} or contains itself.</li>
 * </ul>
 * Torch objects become inert records: {@link StorageRef} (a persistent id) and {@link TensorRef}
 * (a view of a storage); the caller resolves their bytes.
 */
final class TorchUnpickler extends Unpickler {
    /** A storage named by a persistent id {@code ('storage', torch.XStorage, key, location, numel)}. */
    record StorageRef(String key, DType dtype, long numel, String location) {
    }

    /** A tensor view: {@code shape}/{@code stride} in elements, {@code offset} in elements of the storage. */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {
    }

    /** An {@code argparse.Namespace}: attributes only, inert. */
    static final class Namespace {
        final Map<String, Object> attributes = new LinkedHashMap<>();

        @Override
        public String toString() {
            return "Namespace" + attributes;
        }
    }

    /** An allow-listed global: a storage class (not callable) or an inert constructor. */
    private record Global(String qualifiedName, DType storageDtype, IObjectConstructor fn) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            if (fn == null) {
                throw new PickleException("'" + qualifiedName + "' is not callable");
            }
            return fn.construct(args);
        }
    }

    private static final Map<String, DType> STORAGES = Map.of(
            "FloatStorage", DType.F32, "HalfStorage", DType.F16, "BFloat16Storage", DType.BF16,
            "DoubleStorage", DType.F64, "LongStorage", DType.I64, "IntStorage", DType.I32,
            "ShortStorage", DType.I16, "CharStorage", DType.I8, "ByteStorage", DType.U8, "BoolStorage", DType.BOOL);

    /** Every global this unpickler resolves; anything else is refused. */
    static final Set<String> ALLOWED;

    /** Deepest container nesting accepted (a torch state dict nests about 6 deep). */
    static final int MAX_DEPTH = 1000;
    /** Most memo entries (a large checkpoint uses about 10 per tensor). */
    static final int MAX_MEMO = 1 << 20;
    /** Most opcodes one pickle may execute. */
    static final int MAX_OPCODES = 16_000_000;
    /** Most decimal digits of a text integer (CPython's default {@code sys.get_int_max_str_digits()}). */
    static final int MAX_DIGITS = 4300;
    /** Most bytes of a binary {@code LONG4} integer (about {@value #MAX_DIGITS} digits). */
    static final int MAX_LONG_BYTES = 1800;

    private final Path file;
    private long opcodes;
    private final Map<String, Global> globals = new LinkedHashMap<>();
    private ByteArrayInputStream in;

    static {
        Set<String> names = new LinkedHashSet<>(List.of(
                "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
                "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch.Size",
                "argparse.Namespace"));
        STORAGES.keySet().stream().sorted().forEach(s -> names.add("torch." + s));
        ALLOWED = Collections.unmodifiableSet(names);
    }

    TorchUnpickler(Path file) {
        this.file = file;
        STORAGES.forEach((name, dtype) -> globals.put("torch." + name, new Global("torch." + name, dtype, null)));
        globals.put("collections.OrderedDict", new Global("collections.OrderedDict", null, this::orderedDict));
        globals.put("torch._utils._rebuild_tensor_v2", new Global("torch._utils._rebuild_tensor_v2", null,
                args -> rebuildTensor(args, 6, 7)));
        globals.put("torch._utils._rebuild_tensor", new Global("torch._utils._rebuild_tensor", null,
                args -> rebuildTensor(args, 4, 4)));
        globals.put("torch._utils._rebuild_parameter", new Global("torch._utils._rebuild_parameter", null,
                args -> parameter(args, 3)));
        globals.put("torch._utils._rebuild_parameter_with_state", new Global("torch._utils._rebuild_parameter_with_state", null,
                args -> parameter(args, 4)));
        globals.put("torch.Size", new Global("torch.Size", null, this::size));
        globals.put("argparse.Namespace", new Global("argparse.Namespace", null, args -> {
            if (args.length != 0) {
                throw new PickleException("argparse.Namespace takes no positional arguments here");
            }
            return new Namespace();
        }));
        if (!globals.keySet().equals(ALLOWED)) {
            throw new IllegalStateException("allow-list and constructors disagree");
        }
    }

    /** Unpickles {@code pickle}; every failure is one line naming the file. */
    Object unpickle(byte[] pickle) {
        in = new ByteArrayInputStream(pickle);
        try {
            Object root = load(in);
            checkGraph(root);
            return root;
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException | RuntimeException e) { // PickleException is a RuntimeException
            throw new CheckpointException(file + ": data.pkl is not a valid torch pickle (" + FileMapping.oneLine(e) + ")", e);
        } finally {
            close();
        }
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        if (++opcodes > MAX_OPCODES) {
            throw new CheckpointException(file + ": data.pkl runs more than " + MAX_OPCODES + " pickle opcodes (refused as hostile)");
        }
        switch (key) {
            case Opcodes.INT -> stack.add(textInt(PickleUtils.readline(in)));
            case Opcodes.LONG -> {
                String line = PickleUtils.readline(in);
                stack.add(PickleUtils.optimizeBigint(new BigInteger(digits(line.endsWith("L") ? line.substring(0, line.length() - 1) : line))));
            }
            case Opcodes.LONG4 -> {
                guardLength(4);
                in.mark(4);
                long n = (in.read() & 0xff) | (in.read() & 0xff) << 8 | (in.read() & 0xff) << 16 | (long) (in.read() & 0xff) << 24;
                in.reset();
                if (n > MAX_LONG_BYTES) {
                    throw new CheckpointException(file + ": data.pkl holds a " + n + "-byte integer (at most " + MAX_LONG_BYTES
                            + " bytes are read)");
                }
                return super.dispatch(key);
            }
            case Opcodes.PUT, Opcodes.BINPUT, Opcodes.LONG_BINPUT, Opcodes.MEMOIZE -> {
                Object r = super.dispatch(key);
                if (memo.size() > MAX_MEMO) {
                    throw new CheckpointException(file + ": data.pkl memoises more than " + MAX_MEMO + " objects (refused as hostile)");
                }
                return r;
            }
            case Opcodes.SETITEM -> {
                Object value = stack.pop();
                Object k = stack.pop();
                if (!(stack.peek() instanceof Map<?, ?>)) {
                    throw new PickleException("SETITEM on a " + typeName(stack.peek()));
                }
                @SuppressWarnings("unchecked")
                Map<Object, Object> target = (Map<Object, Object>) stack.peek();
                target.put(hashable(k), value);
            }
            case Opcodes.ADDITEMS, Opcodes.FROZENSET -> {
                List<Object> items = stack.pop_all_since_marker();
                items.forEach(TorchUnpickler::hashable);
                if (key == Opcodes.FROZENSET) {
                    stack.add(new LinkedHashSet<>(items));
                } else if (stack.peek() instanceof Set<?>) {
                    @SuppressWarnings("unchecked")
                    Set<Object> target = (Set<Object>) stack.peek();
                    target.addAll(items);
                } else {
                    throw new PickleException("ADDITEMS on a " + typeName(stack.peek()));
                }
            }
            case Opcodes.EMPTY_SET -> stack.add(new LinkedHashSet<>());
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(in);
                String name = PickleUtils.readline(in);
                stack.add(resolve(module, name));
            }
            case Opcodes.STACK_GLOBAL -> {
                Object name = stack.pop();
                Object module = stack.pop();
                if (!(module instanceof String m) || !(name instanceof String n)) {
                    throw new PickleException("STACK_GLOBAL needs two strings");
                }
                stack.add(resolve(m, n));
            }
            case Opcodes.INST, Opcodes.OBJ, Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 ->
                    throw new CheckpointException(file + ": refusing pickle opcode " + opcodeName(key)
                            + " (torch.save never writes it; only allow-listed globals are unpickled)");
            case Opcodes.BUILD -> build();
            case Opcodes.EMPTY_DICT -> stack.add(new LinkedHashMap<Object, Object>());
            case Opcodes.DICT -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                putPairs(m, stack.pop_all_since_marker());
                stack.add(m);
            }
            case Opcodes.SETITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                if (!(stack.peek() instanceof Map<?, ?>)) {
                    throw new PickleException("SETITEMS on a " + typeName(stack.peek()));
                }
                @SuppressWarnings("unchecked")
                Map<Object, Object> target = (Map<Object, Object>) stack.peek();
                putPairs(target, items);
            }
            case Opcodes.BINUNICODE, Opcodes.BINBYTES, Opcodes.BINSTRING -> {
                guardLength(4);
                return super.dispatch(key);
            }
            case Opcodes.BINUNICODE8, Opcodes.BINBYTES8, Opcodes.BYTEARRAY8 -> {
                guardLength(8);
                return super.dispatch(key);
            }
            default -> {
                return super.dispatch(key);
            }
        }
        return NO_RETURN_VALUE;
    }

    private static String opcodeName(short key) {
        return switch (key) {
            case Opcodes.INST -> "INST";
            case Opcodes.OBJ -> "OBJ";
            case Opcodes.EXT1 -> "EXT1";
            case Opcodes.EXT2 -> "EXT2";
            default -> "EXT4";
        };
    }

    /** Refuses a length prefix that claims more bytes than the pickle has left (before any allocation). */
    private void guardLength(int width) throws IOException {
        in.mark(width);
        byte[] b = in.readNBytes(width);
        in.reset();
        if (b.length < width) {
            throw new PickleException("truncated length prefix");
        }
        long len = 0;
        for (int i = width - 1; i >= 0; i--) {
            len = (len << 8) | (b[i] & 0xff);
        }
        if (len < 0 || len > in.available() - width) {
            throw new PickleException("length prefix " + Long.toUnsignedString(len) + " exceeds the " + (in.available() - width)
                    + " bytes left");
        }
    }

    private Global resolve(String module, String name) {
        String qualified = module + "." + name;
        Global g = globals.get(qualified);
        if (g == null) {
            throw new CheckpointException(file + ": refusing to unpickle global '" + qualified + "' (not in the allow-list)");
        }
        return g;
    }

    private void build() {
        Object state = stack.pop();
        Object target = stack.peek();
        if (target instanceof Namespace ns) {
            if (!(state instanceof Map<?, ?> attrs)) {
                throw new PickleException("argparse.Namespace state is a " + typeName(state));
            }
            attrs.forEach((k, v) -> {
                if (!(k instanceof String name)) {
                    throw new PickleException("argparse.Namespace attribute name is a " + typeName(k));
                }
                ns.attributes.put(name, v);
            });
        } else if (!(target instanceof Map<?, ?>)) {
            // A dict (OrderedDict) may carry instance attributes such as state_dict()._metadata: dropped.
            throw new PickleException("BUILD on a " + typeName(target) + " is not supported");
        }
    }

    private static void putPairs(Map<Object, Object> target, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw new PickleException("odd number of items for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            target.put(hashable(items.get(i)), items.get(i + 1));
        }
    }

    private static String typeName(Object o) {
        return o == null ? "None" : o instanceof Global g ? g.qualifiedName() : o.getClass().getSimpleName();
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0])) {
            throw new CheckpointException(file + ": unsupported persistent id " + describe(pid)
                    + " (expected ('storage', torch.<Type>Storage, key, location, numel))");
        }
        if (!(t[1] instanceof Global g) || g.storageDtype() == null) {
            throw new CheckpointException(file + ": persistent id names " + typeName(t[1]) + ", not a storage class");
        }
        if (!(t[2] instanceof String key) || !(t[3] instanceof String location)) {
            throw new CheckpointException(file + ": persistent id " + describe(pid) + " has a non-string key or location");
        }
        long numel = integer(t[4], "storage numel");
        if (numel < 0) {
            throw new CheckpointException(file + ": storage '" + key + "' has negative numel " + numel);
        }
        return new StorageRef(key, g.storageDtype(), numel, location);
    }

    /** A short, non-recursive description of a pickled value for an error message. */
    static String describe(Object o) {
        if (o instanceof Object[] a) {
            StringBuilder b = new StringBuilder("(");
            for (int i = 0; i < a.length && i < 6; i++) {
                b.append(i > 0 ? ", " : "").append(a[i] instanceof Object[] || a[i] instanceof java.util.Collection<?>
                        || a[i] instanceof Map<?, ?> ? typeName(a[i]) : describe(a[i]));
            }
            return b.append(a.length > 6 ? ", ...)" : ")").toString();
        }
        if (o instanceof String s) {
            return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
        }
        if (o instanceof BigInteger b) {
            return b.bitLength() > 128 ? "an integer of " + b.bitLength() + " bits" : b.toString();
        }
        if (o == null || o instanceof Number || o instanceof Boolean) {
            return String.valueOf(o);
        }
        return typeName(o);
    }

    /** Python's hashability rule: lists, dicts and sets cannot be keys (and would hash recursively here). */
    private static Object hashable(Object key) {
        if (key instanceof java.util.Collection<?> || key instanceof Map<?, ?> || key instanceof Namespace) {
            throw new PickleException("unhashable dict key or set item (a " + typeName(key) + ")");
        }
        return key;
    }

    /** A protocol-0 {@code INT} line: {@code 00}/{@code 01} are booleans, else a bounded decimal integer. */
    private Object textInt(String line) {
        if (line.equals("00")) {
            return Boolean.FALSE;
        }
        if (line.equals("01")) {
            return Boolean.TRUE;
        }
        return PickleUtils.optimizeBigint(new BigInteger(digits(line)));
    }

    /** Checks a decimal integer's digit count before it is parsed (BigInteger parsing is quadratic). */
    private String digits(String text) {
        int n = text.length() - (text.startsWith("-") || text.startsWith("+") ? 1 : 0);
        if (n > MAX_DIGITS) {
            throw new CheckpointException(file + ": data.pkl holds an integer of " + n + " decimal digits (at most "
                    + MAX_DIGITS + " are parsed)");
        }
        return text.strip();
    }

    /**
     * Walks the unpickled graph without recursion: refuses a container that contains itself (directly or
     * through others) or nesting deeper than {@link #MAX_DEPTH}. Shared sub-objects are visited once.
     */
    private void checkGraph(Object root) {
        java.util.IdentityHashMap<Object, Boolean> done = new java.util.IdentityHashMap<>(); // false: on the path
        java.util.ArrayDeque<java.util.Iterator<?>> path = new java.util.ArrayDeque<>();
        java.util.ArrayDeque<Object> owners = new java.util.ArrayDeque<>();
        java.util.Iterator<?> top = children(root);
        if (top == null) {
            return;
        }
        done.put(root, false);
        path.push(top);
        owners.push(root);
        while (!path.isEmpty()) {
            java.util.Iterator<?> it = path.peek();
            if (!it.hasNext()) {
                path.pop();
                done.put(owners.pop(), true);
                continue;
            }
            Object child = it.next();
            java.util.Iterator<?> sub = children(child);
            if (sub == null) {
                continue;
            }
            Boolean state = done.get(child);
            if (state == Boolean.FALSE) {
                throw new CheckpointException(file + ": data.pkl holds a " + typeName(child) + " that contains itself (refused)");
            }
            if (state == null) {
                if (path.size() >= MAX_DEPTH) {
                    throw new CheckpointException(file + ": data.pkl nests containers more than " + MAX_DEPTH + " deep (refused)");
                }
                done.put(child, false);
                path.push(sub);
                owners.push(child);
            }
        }
    }

    /** The values a container holds (keys and values of a map), or null for a leaf. */
    private static java.util.Iterator<?> children(Object o) {
        if (o instanceof Object[] a) {
            return Arrays.asList(a).iterator();
        }
        if (o instanceof java.util.Collection<?> c) {
            return c.iterator();
        }
        if (o instanceof Map<?, ?> m) {
            return m.entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue())).iterator();
        }
        if (o instanceof Namespace ns) {
            return ns.attributes.values().iterator();
        }
        return null;
    }

    private Object orderedDict(Object[] args) {
        Map<Object, Object> m = new LinkedHashMap<>();
        if (args.length == 1 && args[0] instanceof List<?> pairs) {
            for (Object p : pairs) {
                if (!(p instanceof Object[] kv) || kv.length != 2) {
                    throw new PickleException("OrderedDict item is not a pair");
                }
                m.put(hashable(kv[0]), kv[1]);
            }
        } else if (args.length != 0) {
            throw new PickleException("unsupported OrderedDict arguments");
        }
        return m;
    }

    private Object size(Object[] args) {
        if (args.length != 1 || !(args[0] instanceof Object[] dims)) {
            throw new PickleException("torch.Size expects one tuple");
        }
        return dims;
    }

    private Object parameter(Object[] args, int arity) {
        if (args.length != arity || !(args[0] instanceof TensorRef t)) {
            throw new PickleException("_rebuild_parameter expects a tensor and " + (arity - 1) + " more arguments");
        }
        return t;
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])}. */
    private Object rebuildTensor(Object[] args, int minArity, int maxArity) {
        if (args.length < minArity || args.length > maxArity) {
            throw new PickleException("_rebuild_tensor expects " + minArity + (maxArity > minArity ? "–" + maxArity : "")
                    + " arguments, got " + args.length);
        }
        if (!(args[0] instanceof StorageRef storage)) {
            throw new PickleException("_rebuild_tensor's first argument is a " + typeName(args[0]) + ", not a storage");
        }
        long offset = integer(args[1], "storage offset");
        long[] shape = dims(args[2], "size");
        long[] stride = dims(args[3], "stride");
        if (shape.length != stride.length) {
            throw new CheckpointException(file + ": tensor on storage '" + storage.key() + "' has size " + Arrays.toString(shape)
                    + " but stride " + Arrays.toString(stride));
        }
        return new TensorRef(storage, offset, shape, stride);
    }

    private long[] dims(Object o, String what) {
        if (!(o instanceof Object[] a)) {
            throw new PickleException(what + " is a " + typeName(o) + ", not a tuple");
        }
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = integer(a[i], what);
        }
        return out;
    }

    private static long integer(Object o, String what) {
        if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            return ((Number) o).longValue();
        }
        if (o instanceof BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        throw new PickleException(what + " " + describe(o) + " is not a 64-bit integer");
    }
}
