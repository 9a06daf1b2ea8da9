package io.tessera.app.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.app.DefaultPipeline;
import io.tessera.core.plugin.PluginRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tessera eval} on a randar model (the embedded pipeline's shape, random RandAR weights): every order runs. */
class RandarEvalTest {
    @TempDir
    Path tmp;

    @Test
    void evalRunsRandarWithTheOfficialScheduleAndEveryPositionQueryOrder() throws Exception {
        Path out = tmp.resolve("out");
        List<String> orders = List.of("random:schedule=cosine,steps=20", "lpd:steps=20", "par:regions=4", "zipar:window=4");
        Evaluation.Settings s = new Evaluation.Settings(DefaultPipeline::load, orders, 2, 2, 0, 5L, null,
                List.of("model.family=randar", "model.checkpoint=random:3", "sampling.top_k=8", "sampling.cfg_scale=4.0",
                        "sampling.cfg_schedule=linear-pass"), out, EvalTest.fakeFashionMnist(tmp.resolve("fmnist"), 24), 20);
        Evaluation.Report rep;
        try (PluginRegistry reg = PluginRegistry.load(List.of())) {
            rep = new Evaluation(s, reg, new PatchFeatures(), new PrintWriter(new StringWriter())).run();
        }
        List<String[]> rows = EvalTest.csv(out.resolve("results.csv"));
        assertEquals(orders.size() + 2, rows.size(), "header, the orders, the real-data row");
        int passes = ResultTable.CSV_COLUMNS.indexOf("passes_per_image");
        String[] expected = {"20.000", "20.000", "67.000", "88.000"};
        for (int r = 1; r <= orders.size(); r++) {
            assertEquals(orders.get(r - 1), rows.get(r)[0]);
            assertEquals("ok", rows.get(r)[1], String.join(",", rows.get(r)));
            assertEquals(expected[r - 1], rows.get(r)[passes], orders.get(r - 1));
        }
        assertTrue(ResultTable.text(rep).contains("randar"), ResultTable.text(rep));
    }
}
