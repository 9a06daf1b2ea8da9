package io.tessera.core;

/**
 * Makes an error message safe to print on a terminal: every value in it may come from a hostile file
 * (tensor names, YAML keys, paths), so non-printable characters are escaped (a newline cannot fake a
 * second {@code tessera:} line, an ANSI escape cannot clear the screen) and long values are cut.
 */
public final class ErrorText {
    /** Longest quoted value ({@code '...'}) kept whole. */
    public static final int MAX_QUOTED = 200;
    /** Longest message printed. */
    public static final int MAX_MESSAGE = 2000;

    private ErrorText() {
    }

    /**
     * {@code message} with quoted values longer than {@value #MAX_QUOTED} characters cut (the cut says how
     * long the value was), then every control, format (bidi), separator or unpaired-surrogate character
     * escaped as {@code \n}, {@code \r}, {@code \t}, {@code \xNN} or {@code \}{@code uNNNN}, then the
     * whole cut to {@value #MAX_MESSAGE} characters. The result is one printable line, and applying this
     * again changes nothing.
     */
    public static String printable(String message) {
        String m = message == null ? "(no message)" : capQuoted(message);
        StringBuilder b = new StringBuilder(Math.min(m.length() + 16, MAX_MESSAGE + 64));
        for (int i = 0; i < m.length() && b.length() <= MAX_MESSAGE; i++) {
            char c = m.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < m.length() && Character.isLowSurrogate(m.charAt(i + 1))) {
                int cp = m.codePointAt(i);
                if (printable(cp)) {
                    b.append(c).append(m.charAt(++i));
                } else {
                    b.append(String.format("\\u{%x}", cp));
                    i++;
                }
                continue;
            }
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x100 && !printable(c)) {
                        b.append(String.format("\\x%02x", (int) c));
                    } else if (!printable(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        if (b.length() > MAX_MESSAGE) { // the cut message, note included, is MAX_MESSAGE long: printable(printable(m)) == printable(m)
            String note = "... (message cut at " + MAX_MESSAGE + " characters)";
            b.setLength(MAX_MESSAGE - note.length());
            if (Character.isHighSurrogate(b.charAt(b.length() - 1))) {
                b.setLength(b.length() - 1);
            }
            b.append(note);
        }
        return b.toString();
    }

    private static boolean printable(int cp) {
        if (Character.isSurrogate((char) cp) && cp <= 0xffff) {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.PRIVATE_USE, Character.SURROGATE, Character.UNASSIGNED -> false;
            default -> true;
        };
    }

    /** Cuts each {@code '...'} value longer than {@value #MAX_QUOTED} characters, saying how long it was. */
    static String capQuoted(String m) {
        StringBuilder b = null;
        int from = 0;
        int open = m.indexOf('\'');
        while (open >= 0) {
            int close = m.indexOf('\'', open + 1);
            if (close < 0) {
                break;
            }
            int len = close - open - 1;
            if (len > MAX_QUOTED) {
                if (b == null) {
                    b = new StringBuilder();
                }
                b.append(m, from, open + 1 + MAX_QUOTED / 2).append("...(").append(len).append(" characters)...")
                        .append(m, close - MAX_QUOTED / 4, close + 1);
                from = close + 1;
            }
            open = m.indexOf('\'', close + 1);
        }
        if (b == null) {
            return m;
        }
        return b.append(m, from, m.length()).toString();
    }
}
