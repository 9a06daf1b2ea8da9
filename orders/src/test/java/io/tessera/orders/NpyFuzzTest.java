package io.tessera.orders;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.tessera.core.io.Npy;
import io.tessera.core.ConfigException;
import io.tessera.core.spi.GridSize;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Issue #16: property/fuzz test of the {@code .npy} reader behind {@code order: explicit}. Valid files
 * with mutated headers (characters from the header grammar and hostile bytes) and random bytes either
 * read, or fail as {@link IOException} from {@link Npy} / one-line {@link ConfigException} from the
 * order: never another exception. Tries: {@code jqwik.tries.default} (core's junit-platform.properties).
 */
class NpyFuzzTest {
    private static Path dir;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("tessera-npy-fuzz");
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

    private static final String VALID = "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }";

    @Provide
    Arbitrary<String> headers() {
        Arbitrary<Character> grammar = Arbitraries.of('{', '}', '(', ')', '\'', ',', ':', ' ', '-', '0', '1', '9', 'x', '<', '|',
                'i', '4', '8', 'T', 'F', '\n', '\u0000', '\u00ff', '\\');
        Arbitrary<int[]> edit = Arbitraries.integers().between(0, VALID.length()).array(int[].class).ofSize(2);
        return net.jqwik.api.Combinators.combine(edit.list().ofMaxSize(5), grammar.list().ofMinSize(5).ofMaxSize(5).list().ofMaxSize(5))
                .as((edits, chars) -> {
                    StringBuilder b = new StringBuilder(VALID);
                    for (int i = 0; i < edits.size(); i++) {
                        int at = Math.min(edits.get(i)[0], b.length());
                        int len = Math.min(edits.get(i)[1] % 6, b.length() - at);
                        String with = i < chars.size() ? chars.get(i).stream().map(String::valueOf).reduce("", String::concat)
                                .substring(0, edits.get(i)[1] % 5) : "";
                        b.replace(at, at + len, with);
                    }
                    return b.toString();
                });
    }

    @Property
    void mutatedHeadersNeverEscape(@ForAll("headers") String header, @ForAll("versions") int major) throws IOException {
        check(NpyHostileTest.npy(header, major));
    }

    @Provide
    Arbitrary<Integer> versions() {
        return Arbitraries.of(1, 2, 3, 4, 0);
    }

    @Property
    void randomBytesNeverEscape(@ForAll("bytes") byte[] bytes) throws IOException {
        byte[] withMagic = bytes.clone();
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
        System.arraycopy(magic, 0, withMagic, 0, Math.min(6, withMagic.length));
        check(bytes);
        check(withMagic);
    }

    @Provide
    Arbitrary<byte[]> bytes() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    }

    private static void check(byte[] file) throws IOException {
        Path p = dir.resolve("f.npy");
        Files.write(p, file);
        try {
            Npy.readInts(p);
        } catch (IOException e) {
            assertFalse(e.getMessage() == null, "message");
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            fail("unhandled " + e + " reading " + new String(file, StandardCharsets.ISO_8859_1), e);
        }
        try {
            new ExplicitOrder().plan(GridSize.square(2), OrderTesting.options("explicit", "file", p.toString(), "group_sizes", List.of(4)), 0);
        } catch (ConfigException e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        } catch (RuntimeException e) {
            fail("unhandled " + e, e);
        }
    }
}
