package io.tessera.orders.viz;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.Plan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One order run to the end without a model: its groups, the pass of every cell and the step counts.
 * {@link #of} drives the plan with a {@link SimulatedState} (confidence 1.0 unless given) and checks
 * the plan contract: every cell exactly once, no empty group, at most N passes.
 */
public final class OrderTrace {
    private final String name;
    private final GridSize grid;
    private final List<Group> groups;
    private final int[] passOf;
    private final int plannedPasses;

    private OrderTrace(String name, GridSize grid, List<Group> groups, int[] passOf, int plannedPasses) {
        this.name = name;
        this.grid = grid;
        this.groups = List.copyOf(groups);
        this.passOf = passOf;
        this.plannedPasses = plannedPasses;
    }

    /** Runs {@code plan} (fresh, not yet advanced) to the end with confidence 1.0 everywhere. */
    public static OrderTrace of(String name, GridSize grid, Plan plan) {
        return of(name, grid, plan, new SimulatedState(grid));
    }

    /**
     * Runs {@code plan} to the end, committing each group to {@code state}.
     *
     * @throws IllegalStateException naming the order if the plan breaks its contract
     */
    public static OrderTrace of(String name, GridSize grid, Plan plan, SimulatedState state) {
        int n = grid.cells();
        int[] passOf = new int[n];
        Arrays.fill(passOf, -1);
        List<Group> groups = new ArrayList<>();
        Group group;
        while ((group = plan.next(state)) != null) {
            if (group.size() == 0) {
                throw new IllegalStateException(name + ": pass " + groups.size() + " is empty");
            }
            if (groups.size() >= n) {
                throw new IllegalStateException(name + ": more passes than the " + n + " cells of the grid");
            }
            try {
                state.commit(group);
            } catch (IllegalStateException e) {
                throw new IllegalStateException(name + ": pass " + groups.size() + ": " + e.getMessage(), e);
            }
            for (int i = 0; i < group.size(); i++) {
                passOf[group.cell(i)] = groups.size();
            }
            groups.add(group);
        }
        if (state.generatedCount() != n) {
            throw new IllegalStateException(name + ": generated " + state.generatedCount() + " of " + n + " cells");
        }
        return new OrderTrace(name, grid, groups, passOf, plan.plannedPasses());
    }

    /** The label given to {@link #of}. */
    public String name() {
        return name;
    }

    public GridSize grid() {
        return grid;
    }

    /** The groups in pass order. */
    public List<Group> groups() {
        return groups;
    }

    /** Number of forward passes. */
    public int passes() {
        return groups.size();
    }

    /** What the plan announced ({@link Plan#plannedPasses()}), −1 for adaptive plans. */
    public int plannedPasses() {
        return plannedPasses;
    }

    /** The 0-based pass that generates {@code cell}. */
    public int passOf(int cell) {
        return passOf[cell];
    }

    /** Cells per pass, in pass order. */
    public int[] tokensPerPass() {
        return groups.stream().mapToInt(Group::size).toArray();
    }

    public int minTokensPerPass() {
        return Arrays.stream(tokensPerPass()).min().orElse(0);
    }

    public int maxTokensPerPass() {
        return Arrays.stream(tokensPerPass()).max().orElse(0);
    }

    /** Cells / passes. */
    public double meanTokensPerPass() {
        return (double) grid.cells() / passes();
    }
}
