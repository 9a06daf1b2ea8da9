package io.tessera.core;

/** A checkpoint file is unreadable, lies about its contents, or does not match the model (names the file and tensor). */
public class CheckpointException extends TesseraException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
