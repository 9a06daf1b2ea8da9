package io.tessera.core;

/**
 * Root of every error Tessera reports to a user. The message is one line that names what failed and
 * where (file, tensor, YAML path, flag); callers print it as is, without a stack trace. Values in it
 * may come from hostile files, so the message is made safe on construction ({@link ErrorText#printable}:
 * control characters escaped, long values cut): it is one printable line whatever went into it.
 */
public class TesseraException extends RuntimeException {
    public TesseraException(String message) {
        super(ErrorText.printable(message));
    }

    public TesseraException(String message, Throwable cause) {
        super(ErrorText.printable(message), cause);
    }
}
