package io.tessera.core.decode;

import java.util.List;

/**
 * One image's inputs for one pass: its entries and, for each entry, the cache slots its query may
 * see ({@code visible[e·capacity + slot]}).
 */
public record StepInputs(List<Entry> entries, boolean[] visible) {
}
