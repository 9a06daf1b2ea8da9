/**
 * The PF4J plugin registry: the built-in and {@code --plugins} orders, tokenizers and backends by name
 * (two with one name are an error; an unknown name lists the available ones).
 */
package io.tessera.core.plugin;
