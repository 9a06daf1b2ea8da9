package io.tessera.app.serve;

import io.tessera.core.TesseraException;

/** A request the server refuses with 400: one message naming the offending {@code field} (a JSON path). */
final class BadRequest extends TesseraException {
    private final String field;

    BadRequest(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    String field() {
        return field;
    }
}
