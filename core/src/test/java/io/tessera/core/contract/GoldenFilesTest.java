package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Re-runs {@link GoldenGenerator} and compares with the committed files: every key, string and integer
 * equal, every floating-point number within a relative 1e-9 (the oracle is deterministic, so any larger
 * difference is drift). JSON is read with SnakeYAML (JSON is a subset of YAML flow style).
 */
class GoldenFilesTest {
    private static final double RELATIVE = 1e-9;

    @Test
    void gptGoldenFileMatchesTheReference() throws IOException {
        compare(GoldenGenerator.GPT_FILE, GoldenGenerator.gptJson());
    }

    @Test
    void vqGoldenFileMatchesTheReference() throws IOException {
        compare(GoldenGenerator.VQ_FILE, GoldenGenerator.vqJson());
    }

    @Test
    void goldenFilesStaySmall() throws IOException {
        long total = read(GoldenGenerator.GPT_FILE).length() + read(GoldenGenerator.VQ_FILE).length();
        assertTrue(total < 200_000, "golden files hold " + total + " characters; keep them under 200 KB");
    }

    @Test
    void numbersRoundTripWithASignedExponent() {
        assertEquals("1.0E+10", GoldenGenerator.num(1e10));
        assertEquals("1.0E-5", GoldenGenerator.num(1e-5));
        Object parsed = yaml().load("[" + GoldenGenerator.num(1.2345678901234567e10) + ", " + GoldenGenerator.num(-3.0e-7) + "]");
        assertEquals(List.of(1.2345678901234567e10, -3.0e-7), parsed);
    }

    private static void compare(String file, String fresh) throws IOException {
        Object golden = yaml().load(read(file));
        Object now = yaml().load(fresh);
        compareTrees(file, golden, now);
    }

    private static String read(String file) throws IOException {
        try (InputStream in = GoldenFilesTest.class.getResourceAsStream("/" + GoldenGenerator.DIR + "/" + file)) {
            assertNotNull(in, "missing golden file " + GoldenGenerator.DIR + "/" + file + " (run GoldenGenerator, see its javadoc)");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Yaml yaml() {
        return new Yaml(new SafeConstructor(new LoaderOptions()));
    }

    private static void compareTrees(String path, Object golden, Object now) {
        if (golden instanceof Map<?, ?> g && now instanceof Map<?, ?> n) {
            assertEquals(g.keySet(), n.keySet(), path + ": keys");
            for (Object k : g.keySet()) {
                compareTrees(path + "." + k, g.get(k), n.get(k));
            }
        } else if (golden instanceof List<?> g && now instanceof List<?> n) {
            assertEquals(g.size(), n.size(), path + ": length");
            for (int i = 0; i < g.size(); i++) {
                compareTrees(path + "[" + i + "]", g.get(i), n.get(i));
            }
        } else if (golden instanceof Double g && now instanceof Double n) {
            double scale = Math.max(Math.abs(g), 1e-12);
            if (!(Math.abs(g - n) <= RELATIVE * scale)) {
                fail(path + ": golden " + g + ", reference now " + n + " (relative difference " + Math.abs(g - n) / scale
                        + "); if the change is deliberate, regenerate with GoldenGenerator");
            }
        } else if (golden != null && now != null && golden.getClass() == now.getClass()) {
            assertEquals(golden, now, path);
        } else {
            fail(path + ": golden " + golden + " and reference now " + now + " differ in type");
        }
    }
}
