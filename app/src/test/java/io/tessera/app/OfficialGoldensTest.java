package io.tessera.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import io.tessera.core.decode.Rng;
import io.tessera.core.spi.GridSize;
import io.tessera.orders.LpdOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;

/**
 * Tessera's tokens equal the official code's. {@code tools/goldens/make_goldens.py} ran the official
 * LlamaGen / ZipAR / PAR / LPD generate code (greedy, CFG off and on) on tiny seeded checkpoints saved
 * in the official layouts and committed, per case, the checkpoint, a pipeline YAML with the same
 * settings and the official token grids (int32 [N, H, W]) under {@code goldens/official/}. Each case
 * runs through the CLI on cpu-vector and on torch; no Python is needed here.
 */
class OfficialGoldensTest {
    @TempDir
    Path tmp;

    private static Path dir() throws Exception {
        URL url = OfficialGoldensTest.class.getResource("/goldens/official/manifest.yaml");
        assertNotNull(url, "goldens/official/manifest.yaml missing from the test resources (run tools/goldens/make_goldens.py)");
        return Path.of(url.toURI()).getParent();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> manifest() throws Exception {
        return new Yaml().load(Files.readString(dir().resolve("manifest.yaml")));
    }

    static Stream<Arguments> cases() throws Exception {
        return listed("cases");
    }

    static Stream<Arguments> pending() throws Exception {
        return listed("pending");
    }

    @SuppressWarnings("unchecked")
    private static Stream<Arguments> listed(String key) throws Exception {
        List<Arguments> out = new ArrayList<>();
        List<Map<String, Object>> listed = (List<Map<String, Object>>) manifest().get(key);
        for (Map<String, Object> c : listed == null ? List.<Map<String, Object>>of() : listed) {
            for (String backend : new String[] {"cpu-vector", "torch"}) {
                out.add(Arguments.of(c.get("name"), backend, c.get("pipeline"), c.get("tokens"), c.get("official"), c.get("passes")));
            }
        }
        return out.stream();
    }

    @Test
    void everyFamilyAndOrderOfTheIssueHasCases() throws Exception {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> cases = (List<Map<String, Object>>) manifest().get("cases");
        for (String prefix : new String[] {"llamagen-raster-", "zipar-", "par4x-", "lpd-s"}) {
            assertFalse(cases.stream().noneMatch(c -> c.get("name").toString().startsWith(prefix)), "no golden case " + prefix + "*");
        }
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void tokensEqualTheOfficialCode(String name, String backend, String pipeline, String tokens, String official, int passes)
            throws Exception {
        String diff = compare(name, backend, pipeline, tokens, official, passes);
        if (diff != null) {
            fail(diff);
        }
    }

    /**
     * Official behaviour Tessera does not reproduce yet (the manifest says why) still differs: when one
     * starts to match, it belongs in {@code cases} (move it in make_goldens.py).
     */
    @ParameterizedTest(name = "{0} on {1}", allowZeroInvocations = true)
    @MethodSource("pending")
    void pendingCasesStillDiffer(String name, String backend, String pipeline, String tokens, String official, int passes)
            throws Exception {
        assertNotNull(compare(name, backend, pipeline, tokens, official, passes), name + " on " + backend
                + " now equals the official tokens: list it under cases (make_goldens.py pending=None)");
    }

    static Stream<Arguments> lpdOrders() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> doc = (Map<String, Object>) new Yaml().load(Files.readString(dir().resolve("lpd-order-tessera-rng.json")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> cases = (List<Map<String, Object>>) doc.get("cases");
        return cases.stream().map(c -> Arguments.of(c.get("grid"), ((List<?>) c.get("group_sizes")).size(), c.get("proximity_threshold"),
                c.get("repulsion"), c.get("seed"), c));
    }

    /**
     * Tessera's {@code lpd} order is the official {@code orders/lpd_order.py} algorithm: fed the same
     * random stream (the generator runs {@code lpd_order_schedule()} with its {@code random} and
     * {@code np.random} calls drawn from Tessera's SplitMix64 {@link Rng}), it picks the same cells in
     * the same order.
     */
    @ParameterizedTest(name = "{0}x{0}, {1} steps, tau {2}, rho {3}, seed {4}")
    @MethodSource("lpdOrders")
    void lpdOrderEqualsTheOfficialLpdOrderOnTheSameRandomStream(int grid, int steps, Number tau, Number rho, Number seed,
            Map<String, Object> c) {
        @SuppressWarnings("unchecked")
        int[] sizes = ((List<Number>) c.get("group_sizes")).stream().mapToInt(Number::intValue).toArray();
        @SuppressWarnings("unchecked")
        int[] official = ((List<Number>) c.get("order")).stream().mapToInt(Number::intValue).toArray();
        assertEquals(steps, sizes.length);
        int[] tessera = LpdOrder.order(GridSize.square(grid), sizes, tau.doubleValue(), rho.doubleValue(), new Rng(seed.longValue()));
        assertArrayEquals(official, tessera, "LpdOrder vs lpd_order.py on Rng(" + seed + ")");
    }

    /**
     * Runs one case through the CLI; null when every token equals the official one, else what differs.
     * The number of forward passes must equal the official run's (counted by the generator) in any case.
     */
    private String compare(String name, String backend, String pipeline, String tokens, String official, int passes) throws Exception {
        Path d = dir();
        @SuppressWarnings("unchecked")
        List<Integer> classes = (List<Integer>) manifest().get("classes");
        List<String> args = new ArrayList<>(List.of("generate", "--pipeline", d.resolve(pipeline).toString(), "--set", "backend.name=" + backend));
        for (int c : classes) {
            args.add("--class");
            args.add(Integer.toString(c));
        }
        Path npy = tmp.resolve("tokens.npy");
        args.addAll(List.of("--out", tmp.resolve("grid.png").toString(), "--tokens-out", npy.toString(), "-v"));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), name + " on " + backend + ": " + r.err());
        assertTrue(r.out().contains("steps per image (forward passes): " + passes + ";"),
                name + " on " + backend + ": the official code took " + passes + " forward passes; " + r.out());

        Npy want = Npy.read(d.resolve(tokens));
        Npy got = Npy.read(npy);
        assertEquals(want.shape(), got.shape(), name + ": shape");
        int h = Integer.parseInt(want.shape().split(",")[1].trim());
        int w = Integer.parseInt(want.shape().split(",")[2].replace(")", "").trim());
        int diffs = 0;
        String first = null;
        for (int i = 0; i < want.values().length; i++) {
            if (want.values()[i] != got.values()[i]) {
                if (first == null) {
                    first = String.format("image %d (class %d) row %d col %d: official %d, tessera %d", i / (h * w), classes.get(i / (h * w)),
                            i % (h * w) / w, i % w, want.values()[i], got.values()[i]);
                }
                diffs++;
            }
        }
        return diffs == 0 ? null
                : name + " on " + backend + ": " + diffs + " of " + want.values().length + " tokens differ from " + official + "; first: " + first;
    }

    /** An int32 little-endian C-order {@code .npy} (numpy's and Tessera's {@code --tokens-out}). */
    record Npy(String shape, int[] values) {
        static Npy read(Path p) throws Exception {
            byte[] all = Files.readAllBytes(p);
            int headerLen = (all[8] & 0xff) | (all[9] & 0xff) << 8;
            String header = new String(all, 10, headerLen, StandardCharsets.US_ASCII);
            assertEquals(true, header.contains("'descr': '<i4'") && header.contains("'fortran_order': False"), p + ": " + header);
            String shape = header.substring(header.indexOf("'shape': (") + 9, header.indexOf(')', header.indexOf("'shape': (")) + 1);
            ByteBuffer b = ByteBuffer.wrap(all, 10 + headerLen, all.length - 10 - headerLen).order(ByteOrder.LITTLE_ENDIAN);
            int[] v = new int[b.remaining() / 4];
            b.asIntBuffer().get(v);
            return new Npy(shape.replace(" ", ""), v);
        }
    }
}
