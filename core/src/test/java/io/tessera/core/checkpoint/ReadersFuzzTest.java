package io.tessera.core.checkpoint;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.tessera.core.TesseraException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue #16: property/fuzz tests of the safetensors, zip and pickle readers. Inputs are valid files
 * with random mutations (byte overwrites, truncation, insertion; biased to headers) and random opcode
 * soups; the property is that a read either succeeds (and every tensor element can then be read) or
 * fails with a one-line {@link TesseraException}: never another exception, never an Error. The try
 * count is {@code jqwik.tries.default} (see {@code junit-platform.properties}; raise it with
 * {@code -Djqwik.tries.default=20000} for a long run).
 */
class ReadersFuzzTest {
    private static Path dir;
    private static byte[] validPt;
    private static byte[] validSafetensors;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("tessera-fuzz");
        Path pt = dir.resolve("valid.pt");
        PtWriter.write(pt, Fixtures.mixed());
        validPt = Files.readAllBytes(pt);
        Path st = dir.resolve("valid.safetensors");
        SafetensorsWriter.write(st, Fixtures.mixed());
        validSafetensors = Files.readAllBytes(st);
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }

    /** One edit of a file: overwrite {@code length} bytes at {@code at} with {@code bytes}, insert, delete or truncate. */
    record Mutation(int kind, double at, byte[] bytes) {
        byte[] apply(byte[] in, int hotLength) {
            // Half of the edits land in the first hotLength bytes (headers), the rest anywhere.
            int span = at < 0.5 ? Math.min(hotLength, in.length) : in.length;
            int pos = (int) ((at < 0.5 ? at * 2 : (at - 0.5) * 2) * Math.max(span, 1));
            pos = Math.min(pos, in.length);
            return switch (kind) {
                case 0 -> { // overwrite
                    byte[] out = in.clone();
                    for (int i = 0; i < bytes.length && pos + i < out.length; i++) {
                        out[pos + i] = bytes[i];
                    }
                    yield out;
                }
                case 1 -> { // insert
                    byte[] out = new byte[in.length + bytes.length];
                    System.arraycopy(in, 0, out, 0, pos);
                    System.arraycopy(bytes, 0, out, pos, bytes.length);
                    System.arraycopy(in, pos, out, pos + bytes.length, in.length - pos);
                    yield out;
                }
                case 2 -> { // delete
                    int n = Math.min(bytes.length, in.length - pos);
                    byte[] out = new byte[in.length - n];
                    System.arraycopy(in, 0, out, 0, pos);
                    System.arraycopy(in, pos + n, out, pos, in.length - pos - n);
                    yield out;
                }
                default -> java.util.Arrays.copyOf(in, pos); // truncate
            };
        }
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        Arbitrary<byte[]> bytes = Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(8),
                // values that make lengths, offsets and counts lie
                Arbitraries.of(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0x7f}, new byte[] {0, 0, 0, 0},
                        new byte[] {(byte) 0x80}, new byte[] {'"'}, new byte[] {'{'}, new byte[] {','}, new byte[] {'-', '1'},
                        "9999999999999".getBytes(StandardCharsets.US_ASCII), new byte[] {'\n', 0x1b}));
        Arbitrary<Mutation> one = Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.doubles().between(0, 1), bytes)
                .as(Mutation::new);
        return one.list().ofMinSize(1).ofMaxSize(6);
    }

    private static byte[] mutate(byte[] valid, List<Mutation> ms, int hot) {
        byte[] b = valid;
        for (Mutation m : ms) {
            b = m.apply(b, hot);
        }
        return b;
    }

    /** Opens {@code bytes} as {@code name}; success must give readable tensors, failure a one-line TesseraException. */
    private static void openIsSafe(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        try (Checkpoint c = Checkpoints.open(f)) {
            for (Tensor t : c.tensors().values()) {
                long n = t.numel();
                for (long i = 0; i < n; i++) {
                    t.getFloat(i);
                }
            }
        } catch (TesseraException e) {
            assertFalse(e.getMessage() == null || e.getMessage().contains("\n"), () -> "multi-line: " + e.getMessage());
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            fail("unhandled " + e + " reading a mutated " + name, e);
        }
    }

    @Property
    void mutatedSafetensorsNeverEscape(@ForAll("mutations") List<Mutation> ms) throws IOException {
        int hot = 8 + (int) ByteBuffer.wrap(validSafetensors, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        openIsSafe("m.safetensors", mutate(validSafetensors, ms, hot));
    }

    @Property
    void mutatedPtZipsNeverEscape(@ForAll("mutations") List<Mutation> ms) throws IOException {
        // The zip's headers are at both ends: the local header of data.pkl first, the central directory last.
        byte[] b = ms.size() % 2 == 0 ? mutate(validPt, ms, 400) : reverseHot(ms);
        openIsSafe("m.pt", b);
    }

    /** Mutations aimed at the central directory and end record (the last ~1 KiB). */
    private static byte[] reverseHot(List<Mutation> ms) {
        int tail = Math.min(1024, validPt.length);
        byte[] head = java.util.Arrays.copyOf(validPt, validPt.length - tail);
        byte[] end = java.util.Arrays.copyOfRange(validPt, validPt.length - tail, validPt.length);
        byte[] mutated = mutate(end, ms, tail);
        byte[] out = java.util.Arrays.copyOf(head, head.length + mutated.length);
        System.arraycopy(mutated, 0, out, head.length, mutated.length);
        return out;
    }

    /** Pickle bytes biased to opcodes torch.save and attackers use, with small arguments. */
    @Provide
    Arbitrary<byte[]> pickles() {
        byte[] ops = "()]}tlsuaeNKJMqhrXU\u0088\u0089\u008a\u008bQR\u0081\u0085\u0086\u0087\u0094\u0095\u0093.0123456789LIFcbdi"
                .getBytes(StandardCharsets.ISO_8859_1);
        Arbitrary<byte[]> op = Arbitraries.of(toList(ops)).map(b -> new byte[] {b});
        Arbitrary<byte[]> arg = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(4);
        Arbitrary<byte[]> text = Arbitraries.of("torch\nFloatStorage\n", "collections\nOrderedDict\n", "torch._utils\n_rebuild_tensor_v2\n",
                "os\nsystem\n", "argparse\nNamespace\n", "model", "storage", "cpu", "\n").map(s -> s.getBytes(StandardCharsets.ISO_8859_1));
        Arbitrary<byte[]> piece = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, op), net.jqwik.api.Tuple.of(2, arg), net.jqwik.api.Tuple.of(2, text));
        return piece.list().ofMaxSize(80).map(list -> {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.write(0x80);
            out.write(2);
            list.forEach(out::writeBytes);
            out.write('.');
            return out.toByteArray();
        });
    }

    private static List<Byte> toList(byte[] b) {
        List<Byte> l = new java.util.ArrayList<>();
        for (byte x : b) {
            l.add(x);
        }
        return l;
    }

    @Property
    void randomPicklesNeverEscape(@ForAll("pickles") byte[] pickle) throws IOException {
        Map<String, MemorySegment> entries = new LinkedHashMap<>();
        entries.put("archive/data.pkl", MemorySegment.ofArray(pickle));
        entries.put("archive/data/0", Tensor.ofFloats("s", new long[] {4}, new float[] {1, 2, 3, 4}).data());
        entries.put("archive/version", PtWriter.ascii("3\n"));
        Path f = dir.resolve("p.pt");
        PtWriter.writeArchive(f, entries, Set.of(), false);
        openIsSafe("p.pt", Files.readAllBytes(f));
    }

    @Property
    void mutatedValidPicklesNeverEscape(@ForAll("mutations") List<Mutation> ms) throws IOException {
        byte[] pickle = ZipArchive.parse(dir.resolve("valid.pt"), MemorySegment.ofArray(validPt)).entries().entrySet().stream()
                .filter(e -> e.getKey().endsWith("/data.pkl")).findFirst()
                .map(e -> ZipArchive.parse(dir.resolve("valid.pt"), MemorySegment.ofArray(validPt)).data(e.getValue())
                        .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).orElseThrow();
        randomPicklesNeverEscape(mutate(pickle, ms, pickle.length));
    }
}
