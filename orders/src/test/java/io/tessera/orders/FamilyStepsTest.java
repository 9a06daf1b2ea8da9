package io.tessera.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tessera.core.ConfigException;
import io.tessera.core.checkpoint.MemoryCheckpoint;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.decode.FamilyAdapter;
import io.tessera.core.decode.Generator;
import io.tessera.core.decode.LlamaGenAdapter;
import io.tessera.core.decode.LpdAdapter;
import io.tessera.core.decode.ParAdapter;
import io.tessera.core.decode.SamplingConfig;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenModel;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.model.LpdConfig;
import io.tessera.core.model.LpdModel;
import io.tessera.core.model.LpdWeights;
import io.tessera.core.model.ParConfig;
import io.tessera.core.model.ParModel;
import io.tessera.core.model.ParWeights;
import io.tessera.core.spi.ForwardBatch;
import io.tessera.core.spi.GptSession;
import io.tessera.core.spi.ModelSpec;
import io.tessera.core.spi.OrderScheduler;
import io.tessera.core.model.RandomWeights;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The native schedules of the new families with the real orders: forward passes per image, and impossible pairs. */
class FamilyStepsTest {
    private static final LlamaGenConfig GPT24 = new LlamaGenConfig(16, 1, 2, 2, 16, Float.NaN, 1e-5f, 10000f, 64, 10, 1, 0.1f, 24);

    static ParModel par(int regions) {
        ParConfig c = new ParConfig(GPT24, regions);
        return new ParModel(c, new ParWeights(c, new MemoryCheckpoint("random", RandomWeights.par(c, 0))));
    }

    static LpdModel lpd(int grid) {
        LpdConfig c = new LpdConfig(16, 1, 2, 4.0, 64, 10, 1e-6f, grid);
        return new LpdModel(c, new LpdWeights(c, new MemoryCheckpoint("random", RandomWeights.lpd(c, 0))));
    }

    /** All-zero logits: a greedy draw is token 0; only the pass structure matters here. */
    static GptSession zeros(ModelSpec m) {
        return new GptSession() {
            @Override
            public ModelSpec model() {
                return m;
            }

            @Override
            public void reset(int rows, int capacity) {
            }

            @Override
            public void clearRow(int row) {
            }

            @Override
            public float[] forward(ForwardBatch b) {
                return new float[b.rows() * b.length() * m.vocabSize()];
            }

            @Override
            public void close() {
            }
        };
    }

    static ConfigNode options(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return new ConfigNode("order", m);
    }

    static int passes(FamilyAdapter adapter, OrderScheduler order, ConfigNode options) {
        SamplingConfig s = new SamplingConfig(1.0, 0, 1.0, 2.0, -1, "linear", true, 0);
        Generator.Result r = new Generator(adapter, zeros(adapter.model()), order, options, s).generate(new int[] {1}, 1, null);
        return r.passes()[0];
    }

    @Test
    void par4xOn24x24Takes147Passes() {
        assertEquals(147, passes(new ParAdapter(par(4)), new ParOrder(), options("name", "par", "regions", 4)));
    }

    @Test
    void par16xOn24x24Takes51Passes() {
        assertEquals(51, passes(new ParAdapter(par(16)), new ParOrder(), options("name", "par", "regions", 16)));
    }

    @Test
    void lpd16x16At20StepsTakes20Passes() {
        assertEquals(20, passes(new LpdAdapter(lpd(16)), new LpdOrder(), options("name", "lpd", "steps", 20)));
    }

    @Test
    void lpd32x32At48StepsTakes48Passes() {
        assertEquals(48, passes(new LpdAdapter(lpd(32)), new LpdOrder(), options("name", "lpd", "steps", 48)));
    }

    @Test
    void lpdRunsEveryBuiltInOrder() {
        assertEquals(256, passes(new LpdAdapter(lpd(16)), new RasterOrder(), options("name", "raster")));
        assertEquals(31, passes(new LpdAdapter(lpd(16)), new ParOrder(), options("name", "par", "regions", 16)));
        assertEquals(32, passes(new LpdAdapter(lpd(16)), new RandomOrder(), options("name", "random", "steps", 32)));
    }

    @Test
    void par4xModelRefusesA16RegionOrderAtLoad() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> passes(new ParAdapter(par(4)), new ParOrder(), options("name", "par", "regions", 16)));
        assertEquals("order.regions: a PAR-4× model was trained with 4 regions and cannot run the par order with 16 regions "
                + "(set order.regions: 4)", e.getMessage());
        assertThrows(ConfigException.class, () -> passes(new ParAdapter(par(4)), new LpdOrder(), options("name", "lpd")));
    }

    @Test
    void llamaGenRefusesTheLpdOrder() {
        LlamaGenModel m = new LlamaGenModel(GPT24, new LlamaGenWeights(GPT24, new MemoryCheckpoint("random", RandomWeights.llamaGen(GPT24, 0))));
        assertThrows(ConfigException.class, () -> passes(new LlamaGenAdapter(m), new LpdOrder(), options("name", "lpd")));
    }
}
