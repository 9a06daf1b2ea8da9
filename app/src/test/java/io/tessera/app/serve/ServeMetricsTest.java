package io.tessera.app.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** {@code GET /metrics} is Prometheus text with the scheduler's gauges, counters and histograms; health endpoints answer. */
class ServeMetricsTest {

    /** The value of the first sample named exactly {@code name} (with or without labels), or fails. */
    static String value(String scrape, String name) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return line.substring(line.lastIndexOf(' ') + 1);
            }
        }
        throw new AssertionError("no sample " + name + " in the scrape:\n" + Served.abbreviate(scrape));
    }

    @Test
    void scrapeAfterTwoImagesShowsPassesImagesQueueAndLatencyHistograms() throws Exception {
        try (Served s = new Served(Served.options(4, 16))) {
            HttpResponse<String> before = s.get("/metrics");
            assertEquals(200, before.statusCode());
            assertTrue(before.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), before.headers().toString());
            assertEquals(0.0, Double.parseDouble(value(before.body(), "tessera_passes_total")));
            assertEquals(200, s.post("{\"class_labels\":[2,5],\"seed\":3,\"order\":\"zipar:window=4\"}").statusCode());
            String m = s.get("/metrics").body();
            // zipar w=4 on 16×16: 88 passes; both images share every pass
            assertEquals(88.0, Double.parseDouble(value(m, "tessera_passes_total")));
            assertEquals(2.0, Double.parseDouble(value(m, "tessera_images_total")));
            assertEquals(4.0, Double.parseDouble(value(m, "tessera_pass_rows_max")), "2 images × (cond + uncond)");
            assertEquals(0.0, Double.parseDouble(value(m, "tessera_queue_images")));
            value(m, "tessera_running_images");
            assertEquals(2.0, Double.parseDouble(value(m, "tessera_image_latency_seconds_count")));
            assertTrue(m.contains("tessera_image_latency_seconds_bucket{le="), "latency histogram buckets");
            assertTrue(m.contains("tessera_request_latency_seconds_bucket{"), "request latency histogram");
            assertTrue(m.contains("tessera_requests_total{status=\"done\"} 1.0"), Served.abbreviate(m));
            assertEquals(0.0, Double.parseDouble(value(m, "tessera_requests_rejected_total")));
            assertEquals(200, s.get("/healthz").statusCode());
            assertEquals(200, s.get("/readyz").statusCode());
        }
    }
}
