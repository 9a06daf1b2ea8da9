package io.tessera.core.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tessera.core.ConfigException;
import io.tessera.core.config.ConfigNode;
import io.tessera.core.model.LlamaGenModel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A run cut into image ranges (the spark module's shards) gives the tokens of one call over all images. */
class GeneratorRangeTest {
    private static Generator generator(LlamaGenModel m) {
        return new Generator(new LlamaGenAdapter(m), new FakeSession(m), TestOrders.raster(16), ConfigNode.empty("order"),
                new SamplingConfig(1.0, 0, 1.0, 2.0, -1, "constant", false, 5));
    }

    @Test
    void rangesGiveTheTokensOfTheWholeRun() {
        LlamaGenModel m = LlamaGenAdapterTest.model(4);
        int[] classes = {3, 1, 4, 1, 5, 9, 2};
        int[][] whole = generator(m).generate(classes, 3, null).tokens();
        for (int first : new int[] {0, 2, 5}) {
            int[] sub = Arrays.copyOfRange(classes, first, classes.length);
            int[][] part = generator(m).generate(sub, first, 2, null).tokens();
            for (int k = 0; k < sub.length; k++) {
                assertArrayEquals(whole[first + k], part[k], "image " + (first + k) + " from a range starting at " + first);
            }
        }
        // without the offset, a range would repeat the run's first images instead
        int[][] unshifted = generator(m).generate(Arrays.copyOfRange(classes, 2, 4), 2, null).tokens();
        assertFalse(Arrays.equals(whole[2], unshifted[0]) && Arrays.equals(whole[3], unshifted[1]));
    }

    @Test
    void negativeFirstImageIsRejected() {
        LlamaGenModel m = LlamaGenAdapterTest.model(4);
        assertThrows(ConfigException.class, () -> generator(m).generate(new int[] {0}, -1, 1, null));
    }
}
