package io.tessera.core.spi;

/** A token grid of {@code height} rows and {@code width} columns; cell k = row·width + col (raster index). */
public record GridSize(int height, int width) {
    public GridSize {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("grid must be positive, got " + height + "x" + width);
        }
    }

    public static GridSize square(int side) {
        return new GridSize(side, side);
    }

    public int cells() {
        return height * width;
    }

    public int row(int cell) {
        return cell / width;
    }

    public int col(int cell) {
        return cell % width;
    }

    public int cell(int row, int col) {
        return row * width + col;
    }

    @Override
    public String toString() {
        return height + "x" + width;
    }
}
