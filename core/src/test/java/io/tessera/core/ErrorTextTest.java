package io.tessera.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Issue #16 family 2: a message built from hostile names prints as one harmless, bounded line. */
class ErrorTextTest {
    @Test
    void controlCharactersAreEscaped() {
        String forged = "x.pt: tensor 'a\ntessera: all good\r\u001b[2J' is unexpected";
        String p = ErrorText.printable(forged);
        assertEquals("x.pt: tensor 'a\\ntessera: all good\\r\\x1b[2J' is unexpected", p);
        assertEquals("tab\\there \\x00 \\x7f \\x9b", ErrorText.printable("tab\there \u0000 \u007f \u009b"));
        // Bidi overrides and line separators (which some terminals honour) are escaped; ordinary text is not.
        assertEquals("\\u202egnp.exe \\u2028 caf\u00e9 \u6f22\u5b57 \ud83d\ude00", ErrorText.printable("\u202egnp.exe \u2028 caf\u00e9 \u6f22\u5b57 \ud83d\ude00"));
        assertEquals("lone \\ud800 surrogate", ErrorText.printable("lone \ud800 surrogate"));
        assertEquals("(no message)", ErrorText.printable(null));
    }

    @Test
    void longQuotedValuesAreCutAndSayHowLongTheyWere() {
        String value = "v".repeat(2_500_000);
        String p = ErrorText.printable("cfg.yaml: model.family: unknown family '" + value + "' (known: llamagen, lpd)");
        assertTrue(p.length() < 400, () -> "length " + p.length());
        assertTrue(p.contains("...(2500000 characters)..."), p);
        assertTrue(p.startsWith("cfg.yaml: model.family: unknown family 'vvv"), p);
        assertTrue(p.endsWith("vvv' (known: llamagen, lpd)"), p);
        String shortValue = "model.family: unknown family '" + "w".repeat(ErrorText.MAX_QUOTED) + "'";
        assertEquals(shortValue, ErrorText.printable(shortValue), "values up to the bound are kept whole");
    }

    @Test
    void wholeMessageIsBounded() {
        String p = ErrorText.printable("x".repeat(10_000) + "\n");
        assertEquals(ErrorText.MAX_MESSAGE, p.length());
        assertEquals(p, ErrorText.printable(p), "idempotent: a message made safe at construction prints unchanged");
        String forged = ErrorText.printable("a\nb '" + "v".repeat(5000) + "' \u001b");
        assertEquals(forged, ErrorText.printable(forged));
        assertEquals(ErrorText.MAX_MESSAGE, ErrorText.printable("\u0001".repeat(3000)).length());
        assertTrue(p.endsWith("(message cut at " + ErrorText.MAX_MESSAGE + " characters)"), p);
        assertFalse(p.contains("\n"));
    }
}
