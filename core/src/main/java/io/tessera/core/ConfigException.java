package io.tessera.core;

/** A pipeline or option value is invalid (names the YAML path or flag). */
public class ConfigException extends TesseraException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
