package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.TesseraException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.Group;
import io.tessera.core.model.RandomWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class LlamaGenAdapterTest {

    static LlamaGenModel model(int grid) {
        LlamaGenConfig c = new LlamaGenConfig(16, 1, 2, 2, 16, Float.NaN, 1e-5f, 10000f, 64, 10, 1, 0.1f, grid);
        return new LlamaGenModel(c, new LlamaGenWeights(c, new MemoryCheckpoint("random", RandomWeights.llamaGen(c, 0))));
    }

    /** One input of the official ZipAR loop: the cell whose token is fed (−1 = class), its slot, its target cell (−1 = discard). */
    record In(int fedCell, int slot, int target) {
    }

    /**
     * Independent re-implementation of the official ZipAR loop (ALGORITHMS.md §A.8.1 pseudo-code):
     * the exact inputs of every pass, and each pass's target cells with their stand-ins.
     */
    static List<List<In>> officialZipAr(int g, int w, List<Group> groupsOut) {
        List<List<In>> passes = new ArrayList<>();
        int[] gen = new int[g];
        // row 0: prefill then G−1 sequential steps
        for (int c = 0; c < g; c++) {
            passes.add(List.of(new In(c == 0 ? -1 : c - 1, c, c)));
            groupsOut.add(Group.of(c));
        }
        gen[0] = g;
        List<Integer> active = new ArrayList<>(List.of(1));
        int pend = -1;
        while (Arrays.stream(gen).anyMatch(x -> x < g)) {
            List<In> ins = new ArrayList<>();
            if (pend >= 0) {
                ins.add(new In(pend * g + g - 1, 1 + pend * g + g - 1, -1));
                pend = -1;
            }
            List<Integer> cells = new ArrayList<>();
            List<Integer> standIns = new ArrayList<>();
            for (int r : active) {
                int target = r * g + gen[r];
                if (gen[r] == 0) {
                    int fed = r == 1 ? g - 1 : (r - 2) * g + gen[r - 2] - 1;
                    ins.add(new In(fed, 1 + (r - 1) * g + g - 1, target));
                    standIns.add(r == 1 ? -1 : fed);
                } else {
                    ins.add(new In(r * g + gen[r] - 1, 1 + r * g + gen[r] - 1, target));
                    standIns.add(-1);
                }
                cells.add(target);
            }
            passes.add(ins);
            groupsOut.add(new Group(cells.stream().mapToInt(Integer::intValue).toArray(), standIns.stream().mapToInt(Integer::intValue).toArray()));
            List<Integer> finished = new ArrayList<>();
            for (int r : new ArrayList<>(active)) {
                gen[r]++;
                if (gen[r] == w && r < g - 1 && !active.contains(r + 1)) {
                    active.add(r + 1);
                }
                if (gen[r] == g) {
                    pend = r;
                    finished.add(r);
                }
            }
            active.removeAll(finished);
        }
        if (pend >= 0) {
            // the official loop stops once every token exists: the final re-feed never runs
            pend = -1;
        }
        return passes;
    }

    @ParameterizedTest
    @CsvSource({"4,2", "5,3", "6,2", "8,4", "8,7", "16,4", "16,8"})
    void reproducesOfficialZipArInputsPassByPass(int g, int w) {
        List<Group> groups = new ArrayList<>();
        List<List<In>> official = officialZipAr(g, w, groups);
        assertEquals(2 * g + (g - 2) * w, official.size(), "official pass count");
        LlamaGenAdapter adapter = new LlamaGenAdapter(model(g));
        FamilyAdapter.ImageSteps steps = adapter.start(3, false);
        int[] tokens = new int[g * g];
        Arrays.fill(tokens, -1);
        for (int p = 0; p < official.size(); p++) {
            StepInputs in = steps.inputs(groups.get(p), tokens);
            List<In> expected = new ArrayList<>(official.get(p));
            expected.sort(Comparator.comparingInt(In::slot));
            List<In> actual = new ArrayList<>();
            for (Entry e : in.entries()) {
                int fed = e.kind() == EntryKind.CLASS ? -1 : e.id() - 100; // token of cell c is 100 + c
                actual.add(new In(fed, e.slot(), e.target()));
                assertEquals(e.slot(), e.position(), "RoPE position = global slot");
            }
            assertEquals(expected, actual, "pass " + p);
            // official mask: every slot up to the entry's own, holes included
            int cap = adapter.capacity();
            for (int e = 0; e < in.entries().size(); e++) {
                int s = in.entries().get(e).slot();
                for (int j = 0; j < cap; j++) {
                    assertEquals(j <= s, in.visible()[e * cap + j]);
                }
            }
            for (int c : groups.get(p).cells()) {
                tokens[c] = 100 + c;
            }
        }
    }

    @Test
    void maskedVariantHidesUnwrittenSlots() {
        int g = 6;
        int w = 2;
        List<Group> groups = new ArrayList<>();
        officialZipAr(g, w, groups);
        LlamaGenAdapter adapter = new LlamaGenAdapter(model(g));
        FamilyAdapter.ImageSteps steps = adapter.start(0, true);
        int[] tokens = new int[g * g];
        Arrays.fill(tokens, -1);
        boolean sawHole = false;
        boolean[] everWritten = new boolean[adapter.capacity()];
        for (Group grp : groups) {
            StepInputs in = steps.inputs(grp, tokens);
            for (Entry e : in.entries()) {
                everWritten[e.slot()] = true;
            }
            int cap = adapter.capacity();
            for (int e = 0; e < in.entries().size(); e++) {
                int s = in.entries().get(e).slot();
                for (int j = 0; j <= s; j++) {
                    assertEquals(everWritten[j], in.visible()[e * cap + j]);
                    sawHole |= !everWritten[j];
                }
            }
            for (int c : grp.cells()) {
                tokens[c] = 100 + c;
            }
        }
        assertTrue(sawHole, "the schedule has holes to mask");
    }

    @Test
    void rasterIsOneEntryPerPass() {
        int g = 3;
        LlamaGenAdapter adapter = new LlamaGenAdapter(model(g));
        FamilyAdapter.ImageSteps steps = adapter.start(5, false);
        int[] tokens = new int[g * g];
        Arrays.fill(tokens, -1);
        for (int k = 0; k < g * g; k++) {
            StepInputs in = steps.inputs(Group.of(k), tokens);
            assertEquals(1, in.entries().size());
            Entry e = in.entries().get(0);
            assertEquals(k, e.slot());
            assertEquals(k, e.target());
            assertEquals(k == 0 ? EntryKind.CLASS : EntryKind.TOKEN, e.kind());
            assertEquals(k == 0 ? 5 : 100 + k - 1, e.id());
            tokens[k] = 100 + k;
        }
    }

    @Test
    void refusesATargetWithoutPredecessorOrStandIn() {
        LlamaGenAdapter adapter = new LlamaGenAdapter(model(4));
        FamilyAdapter.ImageSteps steps = adapter.start(0, false);
        int[] tokens = new int[16];
        Arrays.fill(tokens, -1);
        TesseraException e = assertThrows(TesseraException.class, () -> steps.inputs(Group.of(5), tokens));
        assertTrue(e.getMessage().contains("cell 5 (row 1, col 1)"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
