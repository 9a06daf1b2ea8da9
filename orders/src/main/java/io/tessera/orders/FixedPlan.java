package io.tessera.orders;

import io.tessera.core.spi.Group;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import java.util.List;

/**
 * A plan whose groups are all known in advance (static orders). {@link #next} ignores the state and
 * returns the groups in order; {@link #plannedPasses()} is their count.
 */
public class FixedPlan implements Plan {
    private final List<Group> groups;
    private final boolean maskUnwritten;
    private int position;

    public FixedPlan(List<Group> groups, boolean maskUnwritten) {
        this.groups = List.copyOf(groups);
        this.maskUnwritten = maskUnwritten;
    }

    /** Cuts {@code order} (cell indices) into consecutive groups of {@code sizes}. */
    public static FixedPlan cut(int[] order, int[] sizes) {
        return new FixedPlan(cutGroups(order, sizes), false);
    }

    static List<Group> cutGroups(int[] order, int[] sizes) {
        Group[] groups = new Group[sizes.length];
        int at = 0;
        for (int i = 0; i < sizes.length; i++) {
            groups[i] = Group.of(java.util.Arrays.copyOfRange(order, at, at + sizes[i]));
            at += sizes[i];
        }
        if (at != order.length) {
            throw new IllegalArgumentException("group sizes sum to " + at + ", order has " + order.length + " cells");
        }
        return List.of(groups);
    }

    /** All groups of the plan, in pass order (independent of how far {@link #next} has gone). */
    public List<Group> groups() {
        return groups;
    }

    @Override
    public Group next(PlanState state) {
        return position < groups.size() ? groups.get(position++) : null;
    }

    @Override
    public int plannedPasses() {
        return groups.size();
    }

    @Override
    public boolean maskUnwritten() {
        return maskUnwritten;
    }
}
