package io.tessera.app.serve;

/**
 * Settings of {@code tessera serve}.
 *
 * @param host              interface to bind (127.0.0.1 by default)
 * @param port              TCP port (0 = an ephemeral one)
 * @param maxBatch          images decoded at once: the scheduler's cache holds 2·maxBatch rows (cond + uncond)
 * @param maxQueue          images waiting for a cache row; a request that does not fit gets 429
 * @param maxWaitMs         when the scheduler is idle, how long the first request waits for others to join its first pass
 * @param defaultDeadlineMs deadline of a request that names none (queueing + decoding)
 * @param maxPerRequest     most images one request may ask for (|class_labels| · n)
 */
public record ServeOptions(String host, int port, int maxBatch, int maxQueue, int maxWaitMs, long defaultDeadlineMs,
                           int maxPerRequest) {
    public static final String LOOPBACK = "127.0.0.1";

    public static ServeOptions defaults() {
        return new ServeOptions(LOOPBACK, 8080, 16, 256, 2, 120_000, 256);
    }

    public ServeOptions withPort(int p) {
        return new ServeOptions(host, p, maxBatch, maxQueue, maxWaitMs, defaultDeadlineMs, maxPerRequest);
    }

    public ServeOptions withMaxBatch(int b) {
        return new ServeOptions(host, port, b, maxQueue, maxWaitMs, defaultDeadlineMs, maxPerRequest);
    }

    public ServeOptions withMaxQueue(int q) {
        return new ServeOptions(host, port, maxBatch, q, maxWaitMs, defaultDeadlineMs, maxPerRequest);
    }

    public ServeOptions withMaxWaitMs(int w) {
        return new ServeOptions(host, port, maxBatch, maxQueue, w, defaultDeadlineMs, maxPerRequest);
    }
}
