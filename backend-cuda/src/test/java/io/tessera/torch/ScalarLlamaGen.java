package io.tessera.torch;

import io.tessera.core.checkpoint.Tensor;
import io.tessera.core.model.LlamaGenConfig;
import io.tessera.core.model.LlamaGenWeights;
import io.tessera.core.spi.EntryKind;
import io.tessera.core.spi.ForwardBatch;

/**
 * A plain scalar (double) LlamaGen forward pass written from gpt.py for the tests: slow and
 * obvious, one loop per formula, its own zero-initialised KV cache. Catches layout mistakes (q|k|v
 * split, head order, RoPE pairing and row/column halves, GQA head mapping, slot writes, holes).
 */
final class ScalarLlamaGen {
    private final LlamaGenConfig c;
    private final LlamaGenWeights w;
    private final double[][][][][] cacheK; // [layer][row][kv head][slot][hd]
    private final double[][][][][] cacheV;

    ScalarLlamaGen(LlamaGenWeights w, int rows, int capacity) {
        this.c = w.config();
        this.w = w;
        cacheK = new double[c.nLayer()][rows][c.nKvHead()][capacity][c.headDim()];
        cacheV = new double[c.nLayer()][rows][c.nKvHead()][capacity][c.headDim()];
    }

    float[] forward(ForwardBatch batch) {
        int b = batch.rows();
        int t = batch.length();
        int dim = c.dim();
        int nh = c.nHead();
        int kvh = c.nKvHead();
        int hd = c.headDim();
        int cap = batch.capacity();
        double[][] h = new double[b * t][];
        for (int n = 0; n < b * t; n++) {
            Tensor table = batch.kinds()[n] == EntryKind.CLASS ? w.clsEmbedding() : w.tokEmbeddings();
            h[n] = row(table, batch.ids()[n]);
        }
        for (int l = 0; l < c.nLayer(); l++) {
            LlamaGenWeights.Layer lw = w.layers().get(l);
            double[][] q = new double[b * t][];
            // write all k, v of the pass first
            for (int n = 0; n < b * t; n++) {
                double[] x = rms(h[n], lw.attentionNorm());
                double[] qkv = matvec(lw.wqkv(), x);
                q[n] = new double[nh * hd];
                System.arraycopy(qkv, 0, q[n], 0, nh * hd);
                rope(q[n], nh, batch.positions()[n]);
                double[] k = new double[kvh * hd];
                double[] v = new double[kvh * hd];
                System.arraycopy(qkv, nh * hd, k, 0, kvh * hd);
                System.arraycopy(qkv, nh * hd + kvh * hd, v, 0, kvh * hd);
                rope(k, kvh, batch.positions()[n]);
                int r = n / t;
                for (int g = 0; g < kvh; g++) {
                    for (int d = 0; d < hd; d++) {
                        cacheK[l][r][g][batch.slots()[n]][d] = k[g * hd + d];
                        cacheV[l][r][g][batch.slots()[n]][d] = v[g * hd + d];
                    }
                }
            }
            for (int n = 0; n < b * t; n++) {
                int r = n / t;
                double[] heads = new double[dim];
                for (int hq = 0; hq < nh; hq++) {
                    int g = hq / (nh / kvh); // repeat_interleave: query head hq reads kv head hq / n_rep
                    double[] scores = new double[cap];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s < cap; s++) {
                        if (!batch.visible()[n * cap + s]) {
                            continue;
                        }
                        double dot = 0;
                        for (int d = 0; d < hd; d++) {
                            dot += q[n][hq * hd + d] * cacheK[l][r][g][s][d];
                        }
                        scores[s] = dot / Math.sqrt(hd);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s < cap; s++) {
                        if (batch.visible()[n * cap + s]) {
                            scores[s] = Math.exp(scores[s] - max);
                            sum += scores[s];
                        }
                    }
                    for (int s = 0; s < cap; s++) {
                        if (batch.visible()[n * cap + s]) {
                            for (int d = 0; d < hd; d++) {
                                heads[hq * hd + d] += scores[s] / sum * cacheV[l][r][g][s][d];
                            }
                        }
                    }
                }
                add(h[n], matvec(lw.wo(), heads));
                double[] x = rms(h[n], lw.ffnNorm());
                double[] a = matvec(lw.w1(), x);
                double[] u = matvec(lw.w3(), x);
                for (int i = 0; i < a.length; i++) {
                    a[i] = a[i] / (1 + Math.exp(-a[i])) * u[i];
                }
                add(h[n], matvec(lw.w2(), a));
            }
        }
        float[] out = new float[b * t * c.vocabSize()];
        for (int n = 0; n < b * t; n++) {
            double[] logits = matvec(w.output(), rms(h[n], w.norm()));
            for (int i = 0; i < logits.length; i++) {
                out[n * c.vocabSize() + i] = (float) logits[i];
            }
        }
        return out;
    }

    /** 2-D RoPE: position 0 zeroes the vector; cell k = (y, x); pair m rotates by y·θ_m (m &lt; hd/4) or x·θ_(m−hd/4). */
    private void rope(double[] v, int heads, int position) {
        int hd = c.headDim();
        int quarter = hd / 4;
        for (int head = 0; head < heads; head++) {
            for (int m = 0; m < hd / 2; m++) {
                double cos = 0;
                double sin = 0;
                if (position > 0) {
                    int cell = position - 1;
                    int y = cell / c.grid();
                    int x = cell % c.grid();
                    int j = m < quarter ? m : m - quarter;
                    double theta = 1.0 / Math.pow(c.ropeBase(), 2.0 * j / (hd / 2.0));
                    double angle = (m < quarter ? y : x) * theta;
                    cos = Math.cos(angle);
                    sin = Math.sin(angle);
                }
                int i = head * hd + 2 * m;
                double a = v[i];
                double bb = v[i + 1];
                v[i] = a * cos - bb * sin;
                v[i + 1] = bb * cos + a * sin;
            }
        }
    }

    private double[] rms(double[] x, Tensor weight) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        double inv = 1.0 / Math.sqrt(ms / x.length + c.normEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * weight.getFloat(i);
        }
        return out;
    }

    /** y = W x for W [out, in] row-major. */
    private static double[] matvec(Tensor wt, double[] x) {
        int out = (int) wt.dim(0);
        int in = (int) wt.dim(1);
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                s += wt.getFloat((long) o * in + i) * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    private static double[] row(Tensor table, int id) {
        int d = (int) table.dim(1);
        double[] out = new double[d];
        for (int i = 0; i < d; i++) {
            out[i] = table.getFloat((long) id * d + i);
        }
        return out;
    }

    private static void add(double[] acc, double[] v) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += v[i];
        }
    }
}
