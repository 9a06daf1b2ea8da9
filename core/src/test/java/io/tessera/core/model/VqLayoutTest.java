package io.tessera.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VqLayoutTest {
    @Test
    void fullLayoutIsTheEncoderThenTheDecoderMapThenTheQuantiser() {
        VqConfig c = new VqConfig(64, 8, true, 32, 32, new int[] {1, 2, 4}, 1, 3);
        Map<String, long[]> full = VqWeights.fullLayout(c);
        Map<String, long[]> dec = VqWeights.layout(c);
        dec.forEach((k, v) -> assertArrayEquals(v, full.get(k), k));
        assertArrayEquals(new long[] {32, 3, 3, 3}, full.get("encoder.conv_in.weight"));
        assertArrayEquals(new long[] {64, 32, 1, 1}, full.get("encoder.conv_blocks.1.res.0.nin_shortcut.weight"));
        assertArrayEquals(new long[] {128, 128, 1, 1}, full.get("encoder.conv_blocks.2.attn.0.q.weight"));
        assertArrayEquals(new long[] {32, 128, 3, 3}, full.get("encoder.conv_out.weight"));
        assertArrayEquals(new long[] {8, 32, 1, 1}, full.get("quant_conv.weight"));
        long downsamples = full.keySet().stream().filter(k -> k.endsWith("downsample.conv.weight")).count();
        assertEquals(2, downsamples);
        List<String> keys = List.copyOf(full.keySet());
        assertEquals("encoder.conv_in.weight", keys.get(0));
        assertEquals(List.of("quantize.embedding.weight", "quant_conv.weight", "quant_conv.bias", "post_quant_conv.weight",
                "post_quant_conv.bias"), keys.subList(keys.size() - 5, keys.size()));
        assertTrue(keys.indexOf("encoder.conv_out.bias") < keys.indexOf("decoder.conv_in.weight"));
        assertEquals(dec.size() + full.keySet().stream().filter(k -> k.startsWith("encoder.") || k.startsWith("quant_conv.")).count(),
                full.size());
    }
}
