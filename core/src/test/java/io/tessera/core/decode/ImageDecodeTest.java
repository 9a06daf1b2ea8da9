package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.OrderScheduler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The per-image engine under a server's lifecycle: images join a running batch at different passes, take
 * freed cache rows (cleared with {@code clearRow}), and share passes with whatever else runs; their tokens
 * must be the batch {@link Generator}'s. {@link FakeSession}'s logits depend on every visible cache slot, and
 * ZipAR's visible holes expose whatever a row held before.
 */
class ImageDecodeTest {
    private static final ConfigNode NO_OPTIONS = ConfigNode.empty("order");
    private static final int GRID = 6;

    private static OrderScheduler zipar() {
        List<Group> groups = new ArrayList<>();
        LlamaGenAdapterTest.officialZipAr(GRID, 2, groups);
        return TestOrders.fixed("zipar", groups, false);
    }

    private static SamplingConfig sampling() {
        return new SamplingConfig(1.0, 0, 1.0, 2.0, -1, CfgSchedule.CONSTANT, false, 17);
    }

    @Test
    void staggeredImagesOnReusedRowsGetTheGeneratorsTokens() {
        LlamaGenModel m = LlamaGenAdapterTest.model(GRID);
        int[] classes = {1, 2, 3, 4, 5};
        int[][] expected = new Generator(new LlamaGenAdapter(m), new FakeSession(m), zipar(), NO_OPTIONS, sampling())
                .generate(classes, classes.length, null).tokens();
        int[][] got = continuous(m, classes, true);
        for (int i = 0; i < classes.length; i++) {
            assertArrayEquals(expected[i], got[i], "image " + i + " joined a running batch on a reused row");
        }
    }

    @Test
    void withoutClearRowAReusedRowLeaksIntoTheNextImage() {
        LlamaGenModel m = LlamaGenAdapterTest.model(GRID);
        int[] classes = {1, 2, 3, 4, 5};
        int[][] expected = new Generator(new LlamaGenAdapter(m), new FakeSession(m), zipar(), NO_OPTIONS, sampling())
                .generate(classes, classes.length, null).tokens();
        int[][] got = continuous(m, classes, false);
        assertArrayEquals(expected[0], got[0], "the first images run on fresh rows");
        assertFalse(Arrays.equals(expected[2], got[2]), "image 2 reuses image 0's rows: stale keys must change its tokens");
    }

    /** Two image slots (rows j and 2 + j with CFG); image k may join from pass 3k, when a slot is free. */
    private static int[][] continuous(LlamaGenModel m, int[] classes, boolean clear) {
        LlamaGenAdapter adapter = new LlamaGenAdapter(m);
        PassBuilder builder = new PassBuilder(adapter);
        FakeSession session = new FakeSession(m);
        int slots = 2;
        session.reset(2 * slots, builder.capacity());
        ImageDecode[] inSlot = new ImageDecode[slots];
        int[] imageOf = new int[slots];
        int[][] out = new int[classes.length][];
        int next = 0;
        int finished = 0;
        for (int pass = 0; finished < classes.length && pass < 10_000; pass++) {
            for (int j = 0; j < slots; j++) {
                if (inSlot[j] == null && next < classes.length && pass >= 3 * next) {
                    if (clear) {
                        session.clearRow(j);
                        session.clearRow(slots + j);
                    }
                    inSlot[j] = new ImageDecode(adapter, zipar(), NO_OPTIONS, sampling(), classes[next], next);
                    imageOf[j] = next++;
                }
            }
            List<PassBuilder.Member> members = new ArrayList<>();
            List<Integer> memberSlot = new ArrayList<>();
            for (int j = 0; j < slots; j++) {
                if (inSlot[j] == null) {
                    continue;
                }
                if (!inSlot[j].plan()) {
                    out[imageOf[j]] = inSlot[j].tokens();
                    inSlot[j] = null;
                    finished++;
                    continue;
                }
                members.add(new PassBuilder.Member(inSlot[j].inputs(), j, slots + j));
                memberSlot.add(j);
            }
            PassBuilder.Pass p = builder.build(members);
            if (p == null) {
                continue;
            }
            assertEquals(2 * members.size(), p.batch().rows(), "only the active images' rows are in the pass");
            float[] logits = session.forward(p.batch());
            for (int k = 0; k < members.size(); k++) {
                inSlot[memberSlot.get(k)].finishPass(logits, p.length(), p.condRow()[k], p.uncondRow()[k], null);
            }
        }
        return out;
    }
}
