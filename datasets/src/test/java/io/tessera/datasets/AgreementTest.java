package io.tessera.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AgreementTest {
    @Test
    void argmaxTakesTheFirstMaximumAndAgreementCountsHits() {
        float[] logits = new float[3 * 10];
        logits[7] = 2f;                 // row 0 → 7
        logits[10 + 2] = 1f;
        logits[10 + 5] = 1f;            // row 1: tie 2 / 5 → the first, 2
        java.util.Arrays.fill(logits, 20, 30, -1f); // row 2: all equal → 0
        int[] p = FmnistClassifier.argmax(logits, 3);
        assertArrayEquals(new int[] {7, 2, 0}, p);
        assertEquals(2.0 / 3, FmnistClassifier.agreement(p, new int[] {7, 2, 9}), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> FmnistClassifier.agreement(p, new int[] {7}));
    }
}
