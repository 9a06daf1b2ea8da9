package io.tessera.core.decode;

import io.tessera.core.spi.EntryKind;

/**
 * One input entry of one image in one pass, as a family adapter builds it.
 *
 * @param kind     what it embeds
 * @param id       class id (conditional; the generator swaps in the null class for unconditional rows), token id, or query index
 * @param position position-table index (0 = class position, 1 + k = cell k)
 * @param slot     KV-cache slot it writes
 * @param target   the cell whose logits this entry yields, or −1 when its logits are discarded
 */
public record Entry(EntryKind kind, int id, int position, int slot, int target) {
}
