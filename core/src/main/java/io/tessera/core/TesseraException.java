package io.tessera.core;

/**
 * Root of every error Tessera reports to a user. The message is one line that names what failed and
 * where (file, tensor, YAML path, flag); callers print it as is, without a stack trace.
 */
public class TesseraException extends RuntimeException {
    public TesseraException(String message) {
        super(message);
    }

    public TesseraException(String message, Throwable cause) {
        super(message, cause);
    }
}
