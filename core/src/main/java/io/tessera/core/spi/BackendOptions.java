package io.tessera.core.spi;

import io.tessera.core.config.ConfigNode;

/**
 * The pipeline's {@code backend:} node, read by the backend itself ({@code device}, {@code dtype},
 * {@code threads}, {@code kernels}, ...). A backend must read every key it supports and then call
 * {@link ConfigNode#rejectUnknown()}.
 */
public record BackendOptions(ConfigNode node) {
    public static BackendOptions defaults() {
        return new BackendOptions(ConfigNode.empty("backend"));
    }
}
