package io.tessera.orders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class GroupSchedulesTest {
    /** mit-han-lab/lpd orders/group_sizes_lookup.json, as quoted in ALGORITHMS.md §B.2. */
    static final int[] LPD_256_20 = {1, 2, 4, 5, 7, 8, 10, 11, 12, 14, 15, 16, 17, 18, 18, 19, 19, 20, 20, 20};
    static final int[] LPD_256_32 = {1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 10, 11, 11, 11, 11,
        12, 12, 12, 12, 12, 12, 12, 12};
    static final int[] LPD_1024_48 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
        23, 23, 24, 25, 26, 26, 27, 28, 28, 29, 29, 30, 30, 31, 31, 32, 32, 32, 33, 33, 33, 33, 33, 33, 33, 34};

    @Test
    void officialLpdTables() {
        assertArrayEquals(LPD_256_20, GroupSchedules.lpd(256, 20));
        assertArrayEquals(LPD_256_32, GroupSchedules.lpd(256, 32));
        assertArrayEquals(LPD_1024_48, GroupSchedules.lpd(1024, 48));
        assertArrayEquals(new int[] {1, 15, 24, 32, 40, 45, 49, 50}, GroupSchedules.lpd(256, 8));
        assertTrue(GroupSchedules.lpdTable(256, 20).isPresent());
        assertTrue(GroupSchedules.lpdTable(576, 20).isEmpty());
        assertArrayEquals(GroupSchedules.one(256), GroupSchedules.lpd(256, 256));
    }

    @Test
    void cosineFormulaIsWithinOneOfThe20StepTable() {
        int[] cosine = GroupSchedules.lpdCosine(256, 20);
        int a = 0;
        int b = 0;
        for (int k = 0; k < 20; k++) {
            a += cosine[k];
            b += LPD_256_20[k];
            assertTrue(Math.abs(a - b) <= 1, "step " + k + ": " + a + " vs " + b);
        }
    }

    @Test
    void cosineFormulaIsAValidScheduleForEverySize() {
        for (int n : new int[] {1, 2, 3, 4, 15, 16, 100, 256, 576, 1024, 4096}) {
            for (int k = Math.min(2, n); k <= Math.min(n, 300); k++) {
                int[] s = GroupSchedules.lpdCosine(n, k);
                assertEquals(k, s.length);
                assertEquals(n, IntStream.of(s).sum());
                assertEquals(1, s[0]);
                assertTrue(IntStream.of(s).allMatch(v -> v >= 1));
                int[] r = GroupSchedules.randarCosine(n, k);
                assertEquals(n, IntStream.of(r).sum());
                assertEquals(1, r[0]);
                assertTrue(IntStream.of(r).allMatch(v -> v >= 1));
                assertTrue(r.length <= k, n + "/" + k + ": " + r.length + " steps");
            }
        }
        assertThrows(IllegalArgumentException.class, () -> GroupSchedules.lpdCosine(256, 1));
        assertThrows(IllegalArgumentException.class, () -> GroupSchedules.lpdCosine(256, 257));
    }

    /** RandAR's default: 88 steps for 256 tokens, first step 1 token, groups growing to about 5. */
    @Test
    void randarCosineSchedule() {
        int[] s = GroupSchedules.randarCosine(256, 88);
        assertEquals(88, s.length);
        assertEquals(1, s[0]);
        assertEquals(5, Arrays.stream(s).max().orElseThrow());
        assertEquals(256, Arrays.stream(s).sum());
        // cumulative after step s ≥ 1 (0-based) = ⌊(1 − cos(π(s+1)/2S))·N + 1⌋ once the forced ones are absorbed
        int done = 0;
        for (int step = 0; step < 88; step++) {
            done += s[step];
            int target = (int) Math.min((long) ((1.0 - StrictMath.cos(Math.PI / 2.0 * (step + 1) / 88)) * 256 + 1), 256);
            assertTrue(done >= Math.min(target, 256), "step " + step);
        }
        assertEquals(20, GroupSchedules.randarCosine(256, 20).length);
    }
}
