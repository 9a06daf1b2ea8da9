package io.tessera.core;

/** A plugin cannot be found, loaded, or is ambiguous (names the plugin or extension). */
public class PluginException extends TesseraException {
    public PluginException(String message) {
        super(message);
    }

    public PluginException(String message, Throwable cause) {
        super(message, cause);
    }
}
