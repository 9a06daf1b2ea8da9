package io.tessera.core.checkpoint;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes the few pickle (protocol 2) opcodes torch.save uses, by hand. razorvine's {@code Pickler}
 * has no hook for torch's persistent-id protocol ({@code BINPERSID} on a storage tuple), so the
 * {@link PtWriter} composes its {@code data.pkl} from these methods; tests use them for hostile files.
 * No memo ({@code BINPUT}) is written: it is optional, and torch's unpickler accepts pickles without it.
 *
 * <pre>
 * opcode        byte  stack effect
 * PROTO n       0x80  (header)                     STOP       '.'   end, result = top
 * EMPTY_DICT    '}'   → {}                         MARK       '('   push mark
 * SETITEMS      'u'   d mark k v ... → d           SETITEM    's'   d k v → d
 * BINUNICODE    'X'   u32 LE length + UTF-8        GLOBAL     'c'   "module\nname\n" → callable
 * EMPTY_TUPLE   ')'   → ()                         TUPLE      't'   mark a b ... → (a, b, ...)
 * REDUCE        'R'   f args → f(*args)            NEWOBJ     0x81  cls args → cls.__new__(cls, *args)
 * BUILD         'b'   obj state → obj (state set)  BINPERSID  'Q'   pid → persistent_load(pid)
 * BININT1/2     'K'/'M' u8 / u16 LE                BININT     'J'   i32 LE
 * LONG1         0x8a  n + n-byte two's complement  BINFLOAT   'G'   f64 big-endian
 * NEWTRUE/FALSE 0x88/0x89                          NONE       'N'
 * EMPTY_LIST    ']'   → []                         APPENDS    'e'   l mark a b ... → l
 * </pre>
 */
final class TorchPickle {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TorchPickle proto2() {
        out.write(0x80);
        out.write(2);
        return this;
    }

    TorchPickle op(char opcode) {
        out.write(opcode);
        return this;
    }

    TorchPickle emptyDict() {
        return op('}');
    }

    TorchPickle mark() {
        return op('(');
    }

    TorchPickle setItems() {
        return op('u');
    }

    TorchPickle setItem() {
        return op('s');
    }

    TorchPickle tuple() {
        return op('t');
    }

    TorchPickle emptyTuple() {
        return op(')');
    }

    TorchPickle reduce() {
        return op('R');
    }

    TorchPickle newObj() {
        out.write(0x81);
        return this;
    }

    TorchPickle build() {
        return op('b');
    }

    TorchPickle binPersId() {
        return op('Q');
    }

    TorchPickle stop() {
        return op('.');
    }

    TorchPickle none() {
        return op('N');
    }

    TorchPickle bool(boolean v) {
        out.write(v ? 0x88 : 0x89);
        return this;
    }

    TorchPickle global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        return this;
    }

    TorchPickle string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        le(b.length, 4);
        out.writeBytes(b);
        return this;
    }

    TorchPickle integer(long v) {
        if (v >= 0 && v < 0x100) {
            op('K');
            le(v, 1);
        } else if (v >= 0 && v < 0x10000) {
            op('M');
            le(v, 2);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            op('J');
            le(v, 4);
        } else {
            out.write(0x8a);
            out.write(8);
            le(v, 8);
        }
        return this;
    }

    TorchPickle real(double v) {
        op('G');
        long bits = Double.doubleToLongBits(v);
        for (int i = 7; i >= 0; i--) {
            out.write((int) (bits >>> (8 * i)) & 0xff);
        }
        return this;
    }

    /** A tuple of integers (torch sizes and strides). */
    TorchPickle intTuple(long[] values) {
        mark();
        for (long v : values) {
            integer(v);
        }
        return tuple();
    }

    /** {@code collections.OrderedDict()} (empty; items follow with MARK ... SETITEMS). */
    TorchPickle orderedDict() {
        return global("collections", "OrderedDict").emptyTuple().reduce();
    }

    /** A plain value of an argparse namespace or a top-level scalar: String, integer, floating, Boolean, null, List. */
    TorchPickle value(Object v) {
        switch (v) {
            case null -> none();
            case String s -> string(s);
            case Boolean b -> bool(b);
            case Integer i -> integer(i);
            case Long l -> integer(l);
            case Double d -> real(d);
            case Float f -> real(f);
            case List<?> list -> {
                op(']');
                if (!list.isEmpty()) {
                    mark();
                    list.forEach(this::value);
                    op('e');
                }
            }
            case Map<?, ?> map -> {
                emptyDict();
                if (!map.isEmpty()) {
                    mark();
                    map.forEach((k, x) -> {
                        value(k);
                        value(x);
                    });
                    setItems();
                }
            }
            default -> throw new IllegalArgumentException("cannot pickle a " + v.getClass().getSimpleName());
        }
        return this;
    }

    /** Raw bytes (hostile tests). */
    TorchPickle raw(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }

    private void le(long v, int n) {
        for (int i = 0; i < n; i++) {
            out.write((int) (v >>> (8 * i)) & 0xff);
        }
    }
}
