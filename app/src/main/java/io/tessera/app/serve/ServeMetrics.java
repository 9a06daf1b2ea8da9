package io.tessera.app.serve;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The server's Prometheus metrics (Micrometer): queue depth and running images (gauges), forward passes,
 * images and requests by outcome (counters: rates give passes/s and images/s), rows per pass, and
 * latency histograms of passes, images and requests.
 */
final class ServeMetrics {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter passes;
    private final DistributionSummary rowsPerPass;
    private final Timer passTime;
    private final Counter images;
    private final Timer imageLatency;
    private final Timer requestLatency;
    private final Counter rejected;
    private final Counter badRequests;

    ServeMetrics() {
        passes = Counter.builder("tessera.passes").description("forward passes run by the scheduler").register(registry);
        rowsPerPass = DistributionSummary.builder("tessera.pass.rows").description("cache rows (images, ×2 with CFG) per forward pass")
                .publishPercentileHistogram().register(registry);
        passTime = Timer.builder("tessera.pass.duration").description("time of one forward pass").publishPercentileHistogram()
                .register(registry);
        images = Counter.builder("tessera.images").description("images generated and decoded").register(registry);
        imageLatency = Timer.builder("tessera.image.latency").description("acceptance to decoded image")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        requestLatency = Timer.builder("tessera.request.latency").description("acceptance to the end of a request (any outcome)")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                .register(registry);
        rejected = Counter.builder("tessera.requests.rejected").description("requests refused with 429 (queue full)").register(registry);
        badRequests = Counter.builder("tessera.requests.invalid").description("requests refused with 400").register(registry);
    }

    void bind(Scheduler s) {
        Gauge.builder("tessera.queue.images", s, Scheduler::queuedImages).description("images waiting for a cache row").register(registry);
        Gauge.builder("tessera.running.images", s, Scheduler::runningImages).description("images in the last forward pass")
                .register(registry);
    }

    void pass(int rows, long nanos) {
        passes.increment();
        rowsPerPass.record(rows);
        passTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    void image(ImageJob job) {
        images.increment();
        imageLatency.record(System.nanoTime() - job.acceptedNanos, TimeUnit.NANOSECONDS);
    }

    void finished(ImageJob job) {
        requestLatency.record(System.nanoTime() - job.acceptedNanos, TimeUnit.NANOSECONDS);
        registry.counter("tessera.requests", "status", job.status().json()).increment();
    }

    void rejected() {
        rejected.increment();
    }

    void badRequest() {
        badRequests.increment();
    }

    /** Mean seconds per image so far (0 before the first). */
    double meanImageSeconds() {
        return imageLatency.count() == 0 ? 0 : imageLatency.mean(TimeUnit.SECONDS);
    }

    String scrape() {
        return registry.scrape();
    }
}
