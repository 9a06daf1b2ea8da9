package io.tessera.core.decode;

import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;
import java.util.List;

/**
 * Assembles ONE forward pass over several images, each at its own cache rows: every member's
 * conditional row first (member order), then the unconditional rows of the members that use CFG
 * (same order, their class entries swapped for the null class). Rows are padded to the longest member
 * with entries that write the scratch slot (the last one), see only it, and whose logits are ignored;
 * an idle member (no inputs this pass) is all padding. The cache must have {@link #capacity()} slots.
 */
public final class PassBuilder {
    private final int nullClass;
    private final int capacity;
    private final int scratch;

    public PassBuilder(FamilyAdapter adapter) {
        this.nullClass = adapter.model().nullClass();
        this.capacity = adapter.capacity() + 1;
        this.scratch = capacity - 1;
    }

    /** Cache slots per row: the family's plus one scratch slot for padding entries. */
    public int capacity() {
        return capacity;
    }

    /**
     * One image's place in a pass.
     *
     * @param inputs         its entries this pass, or null when it sits this pass out (padding only)
     * @param condCacheRow   the cache row of its conditional sequence
     * @param uncondCacheRow the cache row of its unconditional sequence, or −1 without CFG
     */
    public record Member(StepInputs inputs, int condCacheRow, int uncondCacheRow) {
    }

    /**
     * The assembled pass: the batch, and where member k's rows landed ({@code uncondRow[k]} = −1 without CFG).
     */
    public record Pass(ForwardBatch batch, int[] condRow, int[] uncondRow) {
        public int length() {
            return batch.length();
        }
    }

    /** The pass over {@code members}, or null when no member has inputs. */
    public Pass build(List<Member> members) {
        int m = members.size();
        int length = 0;
        int rows = m;
        for (Member mb : members) {
            if (mb.inputs() != null) {
                length = Math.max(length, mb.inputs().entries().size());
            }
            if (mb.uncondCacheRow() >= 0) {
                rows++;
            }
        }
        if (length == 0) {
            return null;
        }
        int[] condRow = new int[m];
        int[] uncondRow = new int[m];
        int[] cacheRows = new int[rows];
        Member[] rowMember = new Member[rows];
        boolean[] rowUncond = new boolean[rows];
        int next = 0;
        for (int k = 0; k < m; k++) {
            condRow[k] = next;
            cacheRows[next] = members.get(k).condCacheRow();
            rowMember[next++] = members.get(k);
        }
        for (int k = 0; k < m; k++) {
            Member mb = members.get(k);
            if (mb.uncondCacheRow() < 0) {
                uncondRow[k] = -1;
                continue;
            }
            uncondRow[k] = next;
            cacheRows[next] = mb.uncondCacheRow();
            rowUncond[next] = true;
            rowMember[next++] = mb;
        }
        int n = rows * length;
        EntryKind[] kinds = new EntryKind[n];
        int[] ids = new int[n];
        int[] pos = new int[n];
        int[] slots = new int[n];
        boolean[] visible = new boolean[n * capacity];
        for (int r = 0; r < rows; r++) {
            StepInputs in = rowMember[r].inputs();
            List<Entry> es = in == null ? List.of() : in.entries();
            for (int t = 0; t < length; t++) {
                int k = r * length + t;
                if (t < es.size()) {
                    Entry e = es.get(t);
                    kinds[k] = e.kind();
                    ids[k] = rowUncond[r] && e.kind() == EntryKind.CLASS ? nullClass : e.id();
                    pos[k] = e.position();
                    slots[k] = e.slot();
                    System.arraycopy(in.visible(), t * (capacity - 1), visible, k * capacity, capacity - 1);
                } else {
                    // padding: writes the scratch slot, sees only itself, logits ignored
                    kinds[k] = EntryKind.TOKEN;
                    ids[k] = 0;
                    pos[k] = 0;
                    slots[k] = scratch;
                    visible[k * capacity + scratch] = true;
                }
            }
        }
        return new Pass(new ForwardBatch(rows, length, kinds, ids, pos, slots, visible, cacheRows), condRow, uncondRow);
    }
}
