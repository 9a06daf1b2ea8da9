/**
 * Validated YAML access: {@link io.tessera.core.config.ConfigNode} reads typed values, knows each
 * value's YAML path for error messages and rejects keys nobody read.
 */
package io.tessera.core.config;
