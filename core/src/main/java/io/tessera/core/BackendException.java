package io.tessera.core;

/** A backend cannot run what was asked (names the backend and the operation). */
public class BackendException extends TesseraException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
