/**
 * Tessera's error types: {@link io.tessera.core.TesseraException} and its subclasses (config, checkpoint,
 * backend, plugin), whose one-line messages name the file, tensor, YAML path or flag; the CLI maps them
 * to exit code 1.
 */
package io.tessera.core;
