package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.TesseraException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.Group;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GeneratorTest {
    private static final ConfigNode NO_OPTIONS = ConfigNode.empty("order");

    private static SamplingConfig sampling(double cfg, long seed) {
        return new SamplingConfig(1.0, 0, 1.0, cfg, -1, "constant", false, seed);
    }

    @Test
    void sameTokensWhateverTheBatchSize() {
        LlamaGenModel m = LlamaGenAdapterTest.model(4);
        int[] classes = {0, 1, 2, 3, 4};
        int[][] ref = null;
        for (int batch : new int[] {1, 2, 5}) {
            FakeSession s = new FakeSession(m);
            Generator g = new Generator(new LlamaGenAdapter(m), s, TestOrders.raster(16), NO_OPTIONS, sampling(2.0, 11));
            Generator.Result r = g.generate(classes, batch, null);
            assertEquals((classes.length + batch - 1) / batch, s.resets);
            for (int[] t : r.tokens()) {
                for (int v : t) {
                    assertTrue(v >= 0 && v < m.vocabSize());
                }
            }
            if (ref == null) {
                ref = r.tokens();
            } else {
                for (int i = 0; i < classes.length; i++) {
                    assertArrayEquals(ref[i], r.tokens()[i], "image " + i + " at batch " + batch);
                }
            }
            for (int p : r.passes()) {
                assertEquals(16, p);
            }
        }
    }

    @Test
    void differentSeedsGiveDifferentImages() {
        LlamaGenModel m = LlamaGenAdapterTest.model(4);
        int[][] a = new Generator(new LlamaGenAdapter(m), new FakeSession(m), TestOrders.raster(16), NO_OPTIONS, sampling(1.0, 1))
                .generate(new int[] {0}, 1, null).tokens();
        int[][] b = new Generator(new LlamaGenAdapter(m), new FakeSession(m), TestOrders.raster(16), NO_OPTIONS, sampling(1.0, 2))
                .generate(new int[] {0}, 1, null).tokens();
        assertTrue(!java.util.Arrays.equals(a[0], b[0]));
    }

    @Test
    void cfgDoublesRowsWithTheNullClass() {
        LlamaGenModel m = LlamaGenAdapterTest.model(2);
        FakeSession s = new FakeSession(m);
        new Generator(new LlamaGenAdapter(m), s, TestOrders.raster(4), NO_OPTIONS, sampling(3.0, 0)).generate(new int[] {7, 8}, 2, null);
        ForwardBatch prefill = s.calls.get(0);
        assertEquals(4, prefill.rows());
        assertEquals(EntryKind.CLASS, prefill.kinds()[0]);
        assertEquals(7, prefill.ids()[0]);
        assertEquals(8, prefill.ids()[1]);
        assertEquals(m.nullClass(), prefill.ids()[2]);
        assertEquals(m.nullClass(), prefill.ids()[3]);
        ForwardBatch next = s.calls.get(1);
        assertEquals(next.ids()[0], next.ids()[2], "both halves are fed the same sampled token");
    }

    @Test
    void noCfgMeansOneRowPerImage() {
        LlamaGenModel m = LlamaGenAdapterTest.model(2);
        FakeSession s = new FakeSession(m);
        new Generator(new LlamaGenAdapter(m), s, TestOrders.raster(4), NO_OPTIONS, sampling(1.0, 0)).generate(new int[] {1, 2, 3}, 3, null);
        assertEquals(3, s.calls.get(0).rows());
    }

    @Test
    void rejectsAnOrderThatRepeatsACell() {
        LlamaGenModel m = LlamaGenAdapterTest.model(2);
        var order = TestOrders.fixed("bad", List.of(Group.of(0), Group.of(0)), false);
        Generator g = new Generator(new LlamaGenAdapter(m), new FakeSession(m), order, NO_OPTIONS, sampling(1.0, 0));
        TesseraException e = assertThrows(TesseraException.class, () -> g.generate(new int[] {0}, 1, null));
        assertTrue(e.getMessage().contains("scheduled cell 0 twice"), e.getMessage());
    }

    @Test
    void rejectsAnOrderThatStopsEarly() {
        LlamaGenModel m = LlamaGenAdapterTest.model(2);
        var order = TestOrders.fixed("short", List.of(Group.of(0), Group.of(1)), false);
        Generator g = new Generator(new LlamaGenAdapter(m), new FakeSession(m), order, NO_OPTIONS, sampling(1.0, 0));
        TesseraException e = assertThrows(TesseraException.class, () -> g.generate(new int[] {0}, 1, null));
        assertTrue(e.getMessage().contains("ended after 2 of 4 cells"), e.getMessage());
    }

    @Test
    void rejectsOutOfRangeClasses() {
        LlamaGenModel m = LlamaGenAdapterTest.model(2);
        Generator g = new Generator(new LlamaGenAdapter(m), new FakeSession(m), TestOrders.raster(4), NO_OPTIONS, sampling(1.0, 0));
        assertThrows(ConfigException.class, () -> g.generate(new int[] {10}, 1, null));
    }

    @Test
    void zipArRunsThroughTheLoopWithOfficialPassCount() {
        int g = 6;
        int w = 2;
        List<Group> groups = new ArrayList<>();
        LlamaGenAdapterTest.officialZipAr(g, w, groups);
        LlamaGenModel m = LlamaGenAdapterTest.model(g);
        FakeSession s = new FakeSession(m);
        Generator gen = new Generator(new LlamaGenAdapter(m), s, TestOrders.fixed("zipar", groups, false), NO_OPTIONS, sampling(2.0, 0));
        Generator.Result r = gen.generate(new int[] {1, 2}, 2, null);
        assertEquals(2 * g + (g - 2) * w, r.passes()[0]);
        assertEquals(s.calls.size(), r.forwardCalls());
        int[] seen = new int[1];
        gen.generate(new int[] {1}, 1, (done, total) -> seen[0] = done);
        assertEquals(g * g, seen[0]);
    }
}
