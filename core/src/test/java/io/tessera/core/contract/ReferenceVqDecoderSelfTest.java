package io.tessera.core.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.decode.Rng;
import io.tessera.core.model.VqWeights;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Hand-computed checks of the VQ decoder oracle's building blocks, and its batch independence. */
class ReferenceVqDecoderSelfTest {
    private static final double EPS = 1e-12;

    private static double[][][] map(double[][]... channels) {
        return channels;
    }

    /**
     * A 3×3 all-ones kernel with bias 0.5 on the 3×3 image 1..9 (zero padding) sums each 3×3 neighbourhood:
     * corner (0,0) = 1+2+4+5 = 12, edge (0,1) = 1+…+6 = 21, centre = 45, ...
     */
    @Test
    void conv3x3WithZeroPaddingSumsNeighbourhoods() {
        double[][][] x = map(new double[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
        float[] ones = new float[9];
        Arrays.fill(ones, 1f);
        double[][][] y = ReferenceVqDecoder.conv2d(x, ones, new float[] {0.5f}, 1, 3);
        assertArrayEquals(new double[] {12.5, 21.5, 16.5}, y[0][0], EPS);
        assertArrayEquals(new double[] {27.5, 45.5, 33.5}, y[0][1], EPS);
        assertArrayEquals(new double[] {24.5, 39.5, 28.5}, y[0][2], EPS);
    }

    /** Cross-correlation, not convolution: a kernel whose only 1 is at [0][0] shifts the image down-right. */
    @Test
    void convIsCrossCorrelation() {
        double[][][] x = map(new double[][] {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
        float[] topLeft = new float[9];
        topLeft[0] = 1f;
        double[][][] y = ReferenceVqDecoder.conv2d(x, topLeft, new float[] {0f}, 1, 3);
        assertArrayEquals(new double[] {0, 0, 0}, y[0][0], EPS);
        assertArrayEquals(new double[] {0, 1, 2}, y[0][1], EPS);
        assertArrayEquals(new double[] {0, 4, 5}, y[0][2], EPS);
    }

    /** 1×1 conv mixing channels with weight [out][in]: out0 = 2·a − b + 1, out1 = b. */
    @Test
    void conv1x1MixesChannels() {
        double[][][] x = map(new double[][] {{1, 2}}, new double[][] {{10, 20}});
        double[][][] y = ReferenceVqDecoder.conv2d(x, new float[] {2, -1, 0, 1}, new float[] {1, 0}, 2, 1);
        assertArrayEquals(new double[] {-7, -15}, y[0][0], EPS);
        assertArrayEquals(new double[] {10, 20}, y[1][0], EPS);
    }

    /**
     * GroupNorm(32) over 64 channels of 1×2: group 0 = channels 0, 1 = {1, 2, 3, 4}: mean 2.5, biased variance
     * 1.25, so (x − 2.5)/√(1.25 + 1e-6), then × weight + bias (channel 0: weight 2, bias 0.5). Group 1 =
     * channels 2, 3 constant 7: variance 0, so the output is the bias.
     */
    @Test
    void groupNormUsesGroupsOfChannelsAndBiasedVariance() {
        double[][][] x = new double[64][1][2];
        x[0][0] = new double[] {1, 2};
        x[1][0] = new double[] {3, 4};
        x[2][0] = new double[] {7, 7};
        x[3][0] = new double[] {7, 7};
        float[] w = new float[64];
        float[] b = new float[64];
        Arrays.fill(w, 1f);
        w[0] = 2f;
        b[0] = 0.5f;
        b[2] = -0.25f;
        double s = Math.sqrt(1.25 + 1e-6);
        double[][][] y = ReferenceVqDecoder.groupNorm(x, w, b);
        assertArrayEquals(new double[] {-1.5 / s * 2 + 0.5, -0.5 / s * 2 + 0.5}, y[0][0], EPS);
        assertArrayEquals(new double[] {0.5 / s, 1.5 / s}, y[1][0], EPS);
        assertArrayEquals(new double[] {-0.25, -0.25}, y[2][0], EPS);
        assertArrayEquals(new double[] {0, 0}, y[3][0], EPS);
    }

    @Test
    void nearestUpsampleRepeatsEachPixelTwiceInEachDirection() {
        double[][][] y = ReferenceVqDecoder.upsampleNearest2x(map(new double[][] {{1, 2}, {3, 4}}));
        assertArrayEquals(new double[][] {{1, 1, 2, 2}, {1, 1, 2, 2}, {3, 3, 4, 4}, {3, 3, 4, 4}}, y[0]);
    }

    /** swish(1) = 1/(1 + e^−1), swish(−2) = −2/(1 + e²). */
    @Test
    void swishIsXTimesSigmoid() {
        double[][][] y = ReferenceVqDecoder.swish(map(new double[][] {{1, -2, 0}}));
        assertArrayEquals(new double[] {0.7310585786300049, -0.2384058440442351, 0}, y[0][0], EPS);
    }

    /** F.normalize: (3, 4) → (0.6, 0.8); a zero row stays zero (divided by eps 1e-12); without L2 rows are raw. */
    @Test
    void codebookLookupNormalisesRows() {
        float[] codebook = {3, 4, 0, 0};
        assertArrayEquals(new double[] {0.6, 0.8}, ReferenceVqDecoder.codebookEntry(codebook, 0, 2, true), EPS);
        assertArrayEquals(new double[] {0, 0}, ReferenceVqDecoder.codebookEntry(codebook, 1, 2, true), 0.0);
        assertArrayEquals(new double[] {3, 4}, ReferenceVqDecoder.codebookEntry(codebook, 0, 2, false), 0.0);
    }

    /**
     * AttnBlock with q = 0: every score is 0, so each position receives the mean of v over positions. With
     * v = proj_out = identity and GroupNorm weight 1, bias 0, channel c gains mean_p GN(x)[c][p]: for the
     * group {1, 2 | 3, 4} that is −1/s for channel 0 and +1/s for channel 1 (s = √(1.25 + 1e-6)); the other
     * (zero) channels stay 0.
     */
    @Test
    void attentionWithZeroQueriesAveragesValues() {
        int ch = 64;
        double[][][] x = new double[ch][1][2];
        x[0][0] = new double[] {1, 2};
        x[1][0] = new double[] {3, 4};
        float[] identity = new float[ch * ch];
        for (int i = 0; i < ch; i++) {
            identity[i * ch + i] = 1f;
        }
        Rng rng = new Rng(1);
        float[] randomK = new float[ch * ch];
        for (int i = 0; i < randomK.length; i++) {
            randomK[i] = (float) rng.nextGaussian();
        }
        float[] ones = new float[ch];
        Arrays.fill(ones, 1f);
        VqWeights.AttnBlock block = new VqWeights.AttnBlock(
                new VqWeights.Norm(vec("norm.weight", ones), vec("norm.bias", new float[ch])),
                conv("q", new float[ch * ch], ch), conv("k", randomK, ch), conv("v", identity, ch), conv("proj_out", identity, ch));
        double[][][] y = ReferenceVqDecoder.attnBlock(x, block);
        double s = Math.sqrt(1.25 + 1e-6);
        assertArrayEquals(new double[] {1 - 1 / s, 2 - 1 / s}, y[0][0], EPS);
        assertArrayEquals(new double[] {3 + 1 / s, 4 + 1 / s}, y[1][0], EPS);
        assertArrayEquals(new double[] {0, 0}, y[5][0], EPS);
    }

    /** Decoding two images at once equals decoding each alone; the output is [n, 3, h·2, w·2]. */
    @Test
    void imagesOfABatchAreDecodedIndependently() {
        VqWeights w = ContractModels.vq(ContractModels.tinyVq(), ContractModels.VQ_SEED);
        int[] a = {1, 2, 3, 4, 5, 6};
        int[] b = {60, 50, 40, 30, 20, 10};
        int[] both = new int[12];
        System.arraycopy(a, 0, both, 0, 6);
        System.arraycopy(b, 0, both, 6, 6);
        ReferenceVqDecoder dec = new ReferenceVqDecoder(w);
        double[] together = dec.decodeExact(both, 2, 2, 3);
        assertEquals(2 * 3 * 4 * 6, together.length);
        assertArrayEquals(dec.decodeExact(a, 1, 2, 3), Arrays.copyOfRange(together, 0, 72), 0.0);
        assertArrayEquals(dec.decodeExact(b, 1, 2, 3), Arrays.copyOfRange(together, 72, 144), 0.0);
    }

    private static Tensor vec(String name, float[] v) {
        return Tensor.ofFloats(name, new long[] {v.length}, v);
    }

    private static VqWeights.Conv conv(String name, float[] w, int ch) {
        return new VqWeights.Conv(Tensor.ofFloats(name + ".weight", new long[] {ch, ch, 1, 1}, w),
                Tensor.ofFloats(name + ".bias", new long[] {ch}, new float[ch]));
    }
}
