package io.tessera.orders.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tessera.core.config.ConfigNode;
import io.tessera.core.spi.GridSize;
import io.tessera.core.spi.Group;
import io.tessera.core.spi.Plan;
import io.tessera.core.spi.PlanState;
import io.tessera.orders.LpdOrder;
import io.tessera.orders.ZiparOrder;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrderPictureTest {
    private static OrderTrace zipar(int side, int window) {
        GridSize grid = GridSize.square(side);
        Plan plan = new ZiparOrder().plan(grid, new ConfigNode("order", Map.of("window", window)), 0);
        return OrderTrace.of("zipar w=" + window, grid, plan);
    }

    @Test
    void traceCountsPassesAndTokensPerPass() {
        OrderTrace t = zipar(16, 4);
        assertEquals(88, t.passes());
        assertEquals(1, t.minTokensPerPass());
        assertEquals(4, t.maxTokensPerPass());
        assertEquals(256.0 / 88, t.meanTokensPerPass(), 1e-12);
        assertEquals(0, t.passOf(0));
        assertEquals(15, t.passOf(15));
        assertEquals(16, t.passOf(16));
    }

    @Test
    void traceRejectsABrokenPlan() {
        Plan twice = new Plan() {
            private int calls;

            @Override
            public Group next(PlanState state) {
                return calls++ < 2 ? Group.of(0) : null;
            }
        };
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> OrderTrace.of("broken", GridSize.square(2), twice));
        assertEquals("broken: pass 1: cell 0 generated twice", e.getMessage());
        Plan short1 = new Plan() {
            private boolean done;

            @Override
            public Group next(PlanState state) {
                if (done) {
                    return null;
                }
                done = true;
                return Group.of(0);
            }
        };
        assertEquals("short: generated 1 of 4 cells",
                assertThrows(IllegalStateException.class, () -> OrderTrace.of("short", GridSize.square(2), short1))
                        .getMessage());
    }

    @Test
    void tableHasOneRowPerOrder() {
        String table = OrderTable.format(List.of(zipar(16, 4), zipar(16, 8)));
        List<String> lines = table.lines().toList();
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).startsWith("order"));
        assertTrue(lines.get(1).matches("zipar w=4\\s+16x16\\s+88\\s+1\\s+2\\.91\\s+4"), lines.get(1));
        assertTrue(lines.get(2).matches("zipar w=8\\s+16x16\\s+144\\s+1\\s+1\\.78\\s+2"), lines.get(2));
    }

    @Test
    void pictureColoursCellsByPass(@TempDir Path dir) throws IOException {
        OrderTrace t = zipar(16, 4);
        BufferedImage image = OrderPicture.render(t);
        assertTrue(image.getWidth() >= 16 * 32 && image.getHeight() > 16 * 32);
        // scan the first cell's top-left corner area for the pass-0 colour
        Color first = OrderPicture.viridis(0);
        Color last = OrderPicture.viridis(1);
        assertEquals(new Color(0x44, 0x01, 0x54), first);
        assertEquals(new Color(0xFD, 0xE7, 0x25), last);
        assertTrue(countPixels(image, first) > 100, "pass-1 cell drawn");
        assertTrue(countPixels(image, last) > 100, "last-pass cell drawn");

        List<Path> written = OrderPicture.writeAll(List.of(t, big()), dir);
        assertEquals(dir.resolve("zipar_w_4_16x16.png"), written.get(0));
        for (Path p : written) {
            BufferedImage back = ImageIO.read(p.toFile());
            assertNotNull(back);
            assertTrue(back.getWidth() > 100);
        }
    }

    private static OrderTrace big() {
        GridSize grid = GridSize.square(64);
        return OrderTrace.of("lpd 20", grid, new LpdOrder().plan(grid, new ConfigNode("order", Map.of()), 1));
    }

    private static int countPixels(BufferedImage image, Color c) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) == (c.getRGB() & 0xFFFFFF)) {
                    n++;
                }
            }
        }
        return n;
    }
}
