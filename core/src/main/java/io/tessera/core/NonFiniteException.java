package io.tessera.core;

/** A NaN or infinity where a finite number must be: in weights, logits or a decoded image (names where it first appeared). */
public class NonFiniteException extends TesseraException {
    public NonFiniteException(String message) {
        super(message);
    }
}
