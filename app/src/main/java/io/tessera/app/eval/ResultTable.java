package io.tessera.app.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The report as a terminal table, CSV and JSON. Unmeasured values are blank (CSV), "-" (table) or null (JSON). */
public final class ResultTable {
    /** CSV columns, in order. */
    public static final List<String> CSV_COLUMNS = List.of("order", "status", "reason", "samples", "passes_per_image", "tokens_per_pass",
            "gen_ms_per_image", "gen_ms_per_batch", "decode_ms_per_image", "fd", "accuracy", "npz", "tokens");

    private ResultTable() {
    }

    /**
     * One row per order and, with a classifier, a last row {@code real-data (train vs test)} with status
     * {@code reference} holding the floor's FD and the classifier's test accuracy.
     */
    public static String csv(Evaluation.Report report) {
        StringBuilder b = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
        for (OrderResult r : report.results()) {
            List<String> f = List.of(r.label(), r.status(), r.ran() ? "" : r.skipReason(), r.ran() ? Integer.toString(r.samples()) : "",
                    num(r.passesPerImage(), 3), num(r.tokensPerPass(), 4), num(r.genMsPerImage(), 3), num(r.genMsPerBatch(), 3),
                    num(r.decodeMsPerImage(), 3), num(r.fd(), 6), num(r.accuracy(), 6), r.npz() == null ? "" : r.npz(),
                    r.tokens() == null ? "" : r.tokens());
            b.append(String.join(",", f.stream().map(EvalFiles::csvField).toList())).append('\n');
        }
        RealDataFloor floor = report.floor();
        if (floor != null) {
            List<String> f = List.of("real-data (train vs test)", "reference", "", Integer.toString(floor.nTest()), "", "", "", "", "",
                    num(floor.fd(), 6), num(floor.accuracy(), 6), "", "");
            b.append(String.join(",", f.stream().map(EvalFiles::csvField).toList())).append('\n');
        }
        return b.toString();
    }

    /** The whole report and the settings that produced it. */
    public static String json(Evaluation.Report report, Evaluation.Settings s) {
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"model\": ").append(EvalFiles.jsonString(report.model())).append(",\n");
        b.append("  \"backend\": ").append(EvalFiles.jsonString(report.backend())).append(",\n");
        b.append("  \"grid\": ").append(EvalFiles.jsonString(report.grid().toString())).append(",\n");
        b.append("  \"image_size\": ").append(report.imageSize()).append(",\n");
        b.append("  \"seed\": ").append(report.seed()).append(",\n");
        b.append("  \"samples_per_order\": ").append(s.samples()).append(",\n");
        b.append("  \"batch\": ").append(s.batch()).append(",\n");
        b.append("  \"warmup\": ").append(Math.min(s.warmup(), s.samples())).append(",\n");
        b.append("  \"extractor\": ").append(report.extractor() == null ? "null" : EvalFiles.jsonString(report.extractor())).append(",\n");
        RealDataFloor f = report.floor();
        if (f == null) {
            b.append("  \"real_data\": null,\n");
        } else {
            b.append("  \"real_data\": {\"fd_train_vs_test\": ").append(EvalFiles.jsonNumber(f.fd())).append(", \"test_accuracy\": ")
                    .append(EvalFiles.jsonNumber(f.accuracy())).append(", \"train_images\": ").append(f.nTrain())
                    .append(", \"test_images\": ").append(f.nTest()).append("},\n");
        }
        b.append("  \"orders\": [");
        List<OrderResult> rs = report.results();
        for (int i = 0; i < rs.size(); i++) {
            OrderResult r = rs.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {\"order\": ").append(EvalFiles.jsonString(r.label()))
                    .append(", \"status\": ").append(EvalFiles.jsonString(r.status()));
            if (!r.ran()) {
                b.append(", \"reason\": ").append(EvalFiles.jsonString(r.skipReason())).append('}');
                continue;
            }
            b.append(", \"samples\": ").append(r.samples())
                    .append(", \"passes_per_image\": ").append(EvalFiles.jsonNumber(r.passesPerImage()))
                    .append(", \"tokens_per_pass\": ").append(EvalFiles.jsonNumber(r.tokensPerPass()))
                    .append(", \"gen_ms_per_image\": ").append(EvalFiles.jsonNumber(r.genMsPerImage()))
                    .append(", \"gen_ms_per_batch\": ").append(EvalFiles.jsonNumber(r.genMsPerBatch()))
                    .append(", \"decode_ms_per_image\": ").append(EvalFiles.jsonNumber(r.decodeMsPerImage()))
                    .append(", \"fd\": ").append(EvalFiles.jsonNumber(r.fd()))
                    .append(", \"accuracy\": ").append(EvalFiles.jsonNumber(r.accuracy()))
                    .append(", \"npz\": ").append(EvalFiles.jsonString(r.npz()))
                    .append(", \"tokens\": ").append(EvalFiles.jsonString(r.tokens())).append('}');
        }
        b.append(rs.isEmpty() ? "]\n" : "\n  ]\n").append("}\n");
        return b.toString();
    }

    /** The terminal table: aligned columns, skipped orders with their reason, the real-data floor last. */
    public static String text(Evaluation.Report report) {
        String[] head = {"order", "passes/img", "tok/pass", "gen ms/img", "gen ms/batch", "dec ms/img", "FD", "acc %"};
        List<String[]> rows = new ArrayList<>();
        for (OrderResult r : report.results()) {
            if (!r.ran()) {
                rows.add(new String[] {r.label(), "skipped: " + r.skipReason()});
                continue;
            }
            rows.add(new String[] {r.label(), cell(r.passesPerImage(), 1), cell(r.tokensPerPass(), 2), cell(r.genMsPerImage(), 2),
                    cell(r.genMsPerBatch(), 1), cell(r.decodeMsPerImage(), 2), fd(r.fd()), cell(100 * r.accuracy(), 1)});
        }
        RealDataFloor f = report.floor();
        if (f != null) {
            rows.add(new String[] {"real data", "", "", "", "", "", fd(f.fd()), cell(100 * f.accuracy(), 1)});
        }
        int[] w = new int[head.length];
        for (int c = 0; c < head.length; c++) {
            w[c] = head[c].length();
        }
        for (String[] row : rows) {
            if (row.length == head.length) {
                for (int c = 0; c < head.length; c++) {
                    w[c] = Math.max(w[c], row[c].length());
                }
            } else {
                w[0] = Math.max(w[0], row[0].length());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "model: %s; backend: %s; seed %d%n", report.model(), report.backend(), report.seed()));
        appendRow(b, head, w);
        for (String[] row : rows) {
            if (row.length == head.length) {
                appendRow(b, row, w);
            } else {
                b.append(pad(row[0], w[0], true)).append("  ").append(row[1]).append('\n');
            }
        }
        if (f != null) {
            b.append(String.format(Locale.ROOT, "FD: Fréchet distance of %s features to %d real test images; "
                    + "real data: %d train vs %d test images, accuracy on the test images%n", report.extractor(), f.nTest(), f.nTrain(), f.nTest()));
        } else {
            b.append("quality: not measured (no --classifier); score the samples-*.npz files with an FID/IS evaluator\n");
        }
        return b.toString();
    }

    private static void appendRow(StringBuilder b, String[] row, int[] w) {
        for (int c = 0; c < row.length; c++) {
            b.append(c == 0 ? "" : "  ").append(pad(row[c], w[c], c == 0));
        }
        b.append('\n');
    }

    private static String pad(String s, int w, boolean left) {
        String sp = " ".repeat(Math.max(0, w - s.length()));
        return left ? s + sp : sp + s;
    }

    private static String cell(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "-";
    }

    /** Four significant digits: FDs range from 1e-4 (real vs real) to 1e2. */
    private static String fd(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4g", v) : "-";
    }

    private static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "";
    }
}
