package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.RandarConfig;
import io.tessera.core.model.RandarModel;
import io.tessera.core.model.RandarWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.Group;
import io.tessera.core.model.RandomWeights;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The official step inputs of randar_gpt.py generate (≈ L560-643), entry by entry, on a 2×2 grid. */
class RandarAdapterTest {
    private static final RandarConfig C = new RandarConfig(
            new LlamaGenConfig(16, 1, 2, 2, 32, Float.NaN, 1e-5f, 10000f, 64, 10, 1, 0.1f, 2));
    private static final RandarModel MODEL = new RandarModel(C, new RandarWeights(C, new MemoryCheckpoint("random",
            RandomWeights.randar(C, 3))));

    /** "kind id position slot target" for each entry, and each entry's visible slots as a bit string. */
    private static List<String> describe(StepInputs in, int cap) {
        List<String> out = new ArrayList<>();
        for (int e = 0; e < in.entries().size(); e++) {
            Entry x = in.entries().get(e);
            StringBuilder v = new StringBuilder();
            for (int s = 0; s < cap; s++) {
                v.append(in.visible()[e * cap + s] ? '1' : '0');
            }
            out.add(x.kind() + " " + x.id() + " " + x.position() + " " + x.slot() + " " + x.target() + " " + v);
        }
        return out;
    }

    /**
     * Order [2, 0, 3, 1] in groups {2}, {0, 3}, {1} (generation indices 0 | 1, 2 | 3):
     * pass 0 = [cls, p0] at 0, 1; pass 1 = [x0, p1, p2] at 2, 3, 4; pass 2 = [x1, p2, x2, p3] at 4, 5, 6, 7 — the
     * previous instructions re-fed between their tokens, every entry at the RoPE row of its target cell, causal in slots.
     */
    @Test
    void passesFeedTheOfficialSequence() {
        RandarAdapter a = new RandarAdapter(MODEL);
        assertEquals(9, a.capacity());
        FamilyAdapter.ImageSteps steps = a.start(4, false);
        int[] tokens = {-1, -1, -1, -1};
        assertEquals(List.of(
                "CLASS 4 0 0 -1 100000000",
                "QUERY 0 3 1 2 110000000"), describe(steps.inputs(Group.of(2), tokens), 9));
        tokens[2] = 50;
        assertEquals(List.of(
                "TOKEN 50 3 2 -1 111000000",
                "QUERY 0 1 3 0 111100000",
                "QUERY 0 4 4 3 111110000"), describe(steps.inputs(Group.of(0, 3), tokens), 9));
        tokens[0] = 60;
        tokens[3] = 61;
        assertEquals(List.of(
                "TOKEN 60 1 4 -1 111110000",
                "QUERY 0 4 5 -1 111111000",
                "TOKEN 61 4 6 -1 111111100",
                "QUERY 0 2 7 1 111111110"), describe(steps.inputs(Group.of(1), tokens), 9));
    }

    @Test
    void refusesOrdersThatDoNotDeclareRandar() {
        RandarAdapter a = new RandarAdapter(MODEL);
        ConfigException e = assertThrows(ConfigException.class, () -> a.checkOrder(TestOrders.raster(4), null));
        assertEquals("order.name: order 'raster' does not declare the randar family; it runs on llamagen, lpd", e.getMessage().replace("lpd, llamagen", "llamagen, lpd"));
    }

    /** RandAR's CFG: one scale per pass, 1 + (cfg − 1)·t/N with t the tokens before the pass; the YAML accepts it. */
    @Test
    void linearPassScheduleParses() {
        io.tessera.core.config.ConfigNode n = io.tessera.core.config.ConfigNode.empty("sampling");
        n.put("cfg_schedule", "linear-pass");
        n.put("cfg_scale", 4.0);
        assertEquals(CfgSchedule.LINEAR_PASS, SamplingConfig.from(n).cfgSchedule());
        io.tessera.core.config.ConfigNode bad = io.tessera.core.config.ConfigNode.empty("sampling");
        bad.put("cfg_schedule", "cosine");
        ConfigException e = assertThrows(ConfigException.class, () -> SamplingConfig.from(bad));
        assertTrue(e.getMessage().startsWith("sampling.cfg_schedule: must be constant, linear or linear-pass"), e.getMessage());
    }
}
