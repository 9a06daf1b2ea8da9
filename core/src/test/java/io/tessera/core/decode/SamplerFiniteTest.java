package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.ConfigException;
import io.tessera.core.NonFiniteException;
import io.tessera.core.config.ConfigNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue #16 family 3: non-finite logits are an input error named where they first appear, never a token. */
class SamplerFiniteTest {
    private static final Sampler SAMPLER = new Sampler(new SamplingConfig(1.0, 0, 1.0, 1.0, -1, "constant", false, 0));

    @Test
    void nanOrInfiniteLogitsAreRefusedBeforeDrawing() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] logits = {0.5f, 1f, bad, 2f};
            NonFiniteException e = assertThrows(NonFiniteException.class, () -> SAMPLER.sample(logits, new Rng(1)));
            assertEquals("sampling: the model's logits hold " + bad + " at vocabulary index 2"
                    + " (the checkpoint's weights are probably not finite: NaN or Inf)", e.getMessage());
        }
        assertEquals(3, SAMPLER.sample(new float[] {0f, 0f, 0f, 30f}, new Rng(1)).token(), "finite logits still sample");
    }

    @Test
    void guidanceNamesTheRowOrTheScale() {
        float[] cond = {1f, 2f, Float.NaN};
        float[] uncond = {1f, 1f, 1f};
        float[] out = new float[3];
        assertTrue(assertThrows(NonFiniteException.class, () -> Sampler.guide(cond, 0, uncond, 0, 3, 2f, out))
                .getMessage().startsWith("sampling: the model's conditional logits hold NaN at vocabulary index 2"));
        assertTrue(assertThrows(NonFiniteException.class, () -> Sampler.guide(uncond, 0, cond, 0, 3, 2f, out))
                .getMessage().startsWith("sampling: the model's unconditional logits hold NaN"));
        float[] big = {1f, 3e38f, 1f};
        assertTrue(assertThrows(NonFiniteException.class, () -> Sampler.guide(big, 0, uncond, 0, 3, 4f, out))
                .getMessage().startsWith("sampling: classifier-free guidance (cfg_scale 4.0) made the logits Infinity"));
        Sampler.guide(new float[] {1f, 2f, 3f}, 0, uncond, 0, 3, 2f, out);
        assertEquals(5f, out[2]);
    }

    @Test
    void infiniteOrNanOptionsAreConfigErrors() {
        ConfigNode n = new ConfigNode("sampling", Map.of("cfg_scale", Double.POSITIVE_INFINITY));
        assertEquals("sampling.cfg_scale: must be a finite number, got Infinity",
                assertThrows(ConfigException.class, () -> SamplingConfig.from(n)).getMessage());
        ConfigNode t = new ConfigNode("sampling", Map.of("temperature", Double.NaN));
        assertEquals("sampling.temperature: must be a finite number, got NaN",
                assertThrows(ConfigException.class, () -> SamplingConfig.from(t)).getMessage());
    }
}
