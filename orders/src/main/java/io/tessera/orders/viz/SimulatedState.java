package io.tessera.orders.viz;

import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.PlanState;
import java.util.function.IntToDoubleFunction;

/**
 * A {@link PlanState} without a model: {@link #commit} marks a group's cells generated, and the
 * confidence of a generated cell comes from a function (1.0 everywhere by default). Used to trace and
 * draw orders, adaptive ones included, without running a forward pass.
 */
public final class SimulatedState implements PlanState {
    private final GridSize grid;
    private final boolean[] generated;
    private final IntToDoubleFunction confidence;
    private int count;

    /** Every generated cell has confidence 1.0. */
    public SimulatedState(GridSize grid) {
        this(grid, cell -> 1.0);
    }

    /** Generated cell c has confidence {@code confidence.applyAsDouble(c)}. */
    public SimulatedState(GridSize grid, IntToDoubleFunction confidence) {
        this.grid = grid;
        this.generated = new boolean[grid.cells()];
        this.confidence = confidence;
    }

    /** Marks the group's cells generated; fails on a cell out of range or generated before. */
    public void commit(Group group) {
        for (int i = 0; i < group.size(); i++) {
            int cell = group.cell(i);
            if (cell < 0 || cell >= generated.length) {
                throw new IllegalStateException("cell " + cell + " is outside the " + grid + " grid");
            }
            if (generated[cell]) {
                throw new IllegalStateException("cell " + cell + " generated twice");
            }
            generated[cell] = true;
            count++;
        }
    }

    @Override
    public GridSize grid() {
        return grid;
    }

    @Override
    public boolean isGenerated(int cell) {
        return generated[cell];
    }

    @Override
    public int generatedCount() {
        return count;
    }

    @Override
    public float confidence(int cell) {
        return generated[cell] ? (float) confidence.applyAsDouble(cell) : Float.NaN;
    }
}
