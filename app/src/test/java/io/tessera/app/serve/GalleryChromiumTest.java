package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gallery in a real browser: headless Debian Chromium (installed by {@code scripts/install-test-deps.sh},
 * which {@code .ci/run} calls) loads {@code /} from a real server, generates one image (the page's
 * {@code ?auto=1}), and its screenshot must show the fill-in (the pass-coloured cell canvas) and a decoded
 * image beside it, not a blank page.
 */
class GalleryChromiumTest {
    private static final long CHROMIUM_SECONDS = 90;

    @TempDir
    Path tmp;

    static Path chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path p = Path.of(dir, "chromium");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new AssertionError("chromium is not installed: run scripts/install-test-deps.sh (as root; .ci/run does)");
    }

    private String runChromium(Path profile, String url, String... mode) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(chromium().toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1200,600", "--virtual-time-budget=30000"));
        cmd.addAll(List.of(mode));
        cmd.add(url);
        Path log = tmp.resolve(profile.getFileName() + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(log.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(CHROMIUM_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish within " + CHROMIUM_SECONDS + " s");
        }
        assertEquals(0, p.exitValue(), "chromium failed: " + Files.readString(log));
        return new String(out, StandardCharsets.UTF_8);
    }

    @Test
    void theGalleryFillsInOneImageAndTheScreenshotIsNotBlank() throws Exception {
        try (Served s = new Served(Served.options(4, 16))) {
            String url = "http://127.0.0.1:" + s.server.port() + "/?auto=1&class=7&seed=3&orders=zipar:window=4";
            String dom = runChromium(Files.createDirectory(tmp.resolve("profile-dom")), url, "--dump-dom");
            assertTrue(dom.contains("<title>Tessera gallery: done</title>"), "the page finished its image: " + Served.abbreviate(dom));
            assertTrue(dom.contains("88 passes"), "zipar:window=4 on 16×16 takes 88 passes");

            Path shot = tmp.resolve("gallery.png");
            runChromium(Files.createDirectory(tmp.resolve("profile-shot")), url, "--screenshot=" + shot);
            BufferedImage img = ImageIO.read(shot.toFile());
            assertTrue(img != null && img.getWidth() >= 600, "a screenshot was written");

            // 1. the cell canvas: many saturated pixels over many hues (one per stage of the fill-in)
            int[] hueCounts = new int[12];
            int minX = Integer.MAX_VALUE;
            int minY = Integer.MAX_VALUE;
            int maxX = -1;
            int maxY = -1;
            float[] hsb = new float[3];
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    Color c = new Color(img.getRGB(x, y));
                    Color.RGBtoHSB(c.getRed(), c.getGreen(), c.getBlue(), hsb);
                    boolean buttonBlue = Math.abs(hsb[0] - 0.60f) < 0.03f; // the Generate button
                    if (hsb[1] > 0.5f && hsb[2] > 0.35f && !buttonBlue) {
                        hueCounts[Math.min(11, (int) (hsb[0] * 12))]++;
                        minX = Math.min(minX, x);
                        minY = Math.min(minY, y);
                        maxX = Math.max(maxX, x);
                        maxY = Math.max(maxY, y);
                    }
                }
            }
            int hues = 0;
            for (int h : hueCounts) {
                hues += h >= 100 ? 1 : 0;
            }
            assertTrue(hues >= 5, "the fill-in canvas shows the passes in many colours; hue histogram " + java.util.Arrays.toString(hueCounts));
            int side = maxX - minX + 1;
            assertTrue(side >= 64 && maxY - minY + 1 >= 64, "the coloured cells form a canvas, got " + side + "×" + (maxY - minY + 1));

            // 2. the decoded image beside it: a region of the same size with real contrast (a garment on black)
            int x0 = maxX + 8;
            double sum = 0;
            double sq = 0;
            int dark = 0;
            int n = 0;
            for (int y = minY + 8; y < maxY - 8; y++) {
                for (int x = x0 + 8; x < x0 + side - 8 && x < img.getWidth(); x++) {
                    Color c = new Color(img.getRGB(x, y));
                    double v = (c.getRed() + c.getGreen() + c.getBlue()) / 3.0;
                    sum += v;
                    sq += v * v;
                    dark += v < 40 ? 1 : 0;
                    n++;
                }
            }
            double mean = sum / n;
            double sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
            assertTrue(sd > 20, "the decoded image has contrast: luminance sd " + sd + " (mean " + mean + ")");
            assertTrue(dark > n / 10, "the decoded image shows Fashion-MNIST's black background: " + dark + " of " + n + " pixels dark");
        }
    }
}
