package io.tessera.app.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One accepted request: its images' progress and results, and the event log its SSE streams replay
 * (every event since acceptance, so a late subscriber sees the whole fill-in). Written by the scheduler
 * thread, read by HTTP threads; all state is guarded by this object's monitor.
 */
final class ImageJob {
    enum Status {
        QUEUED, RUNNING, DONE, CANCELLED, EXPIRED, FAILED;

        boolean terminal() {
            return this == DONE || this == CANCELLED || this == EXPIRED || this == FAILED;
        }

        String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    final String id;
    final ImageRequest request;
    final long acceptedNanos;
    final long deadlineNanos;
    final CompletableFuture<ImageJob> done = new CompletableFuture<>();
    private final int[][] tokens;
    private final byte[][] png;
    private final int[] passes;
    private final List<Event> events = new ArrayList<>();
    private Status status = Status.QUEUED;
    private String error;
    private int imagesDone;

    ImageJob(String id, ImageRequest request, long acceptedNanos) {
        this.id = id;
        this.request = request;
        this.acceptedNanos = acceptedNanos;
        this.deadlineNanos = acceptedNanos + request.deadlineMs() * 1_000_000L;
        this.tokens = new int[request.images()][];
        this.png = new byte[request.images()][];
        this.passes = new int[request.images()];
    }

    synchronized Status status() {
        return status;
    }

    synchronized String error() {
        return error;
    }

    synchronized void running() {
        if (status == Status.QUEUED) {
            status = Status.RUNNING;
        }
    }

    /** One SSE event: its name and JSON data. */
    record Event(String type, String json) {
    }

    /** Appends one SSE event and wakes the streams. */
    synchronized void event(String type, String json) {
        events.add(new Event(type, json));
        notifyAll();
    }

    /** Events from index {@code from}, waiting up to {@code waitMs} when there are none and the job is not over. */
    synchronized List<Event> eventsFrom(int from, long waitMs) throws InterruptedException {
        if (from >= events.size() && !status.terminal()) {
            wait(waitMs);
        }
        return from >= events.size() ? List.of() : new ArrayList<>(events.subList(from, events.size()));
    }

    /** Records image k's result; completes the job when it was the last. Returns whether the job is now done. */
    synchronized boolean imageDone(int k, int[] t, byte[] p, int passCount) {
        if (status.terminal()) {
            return false;
        }
        tokens[k] = t;
        png[k] = p;
        passes[k] = passCount;
        imagesDone++;
        if (imagesDone == tokens.length) {
            finish(Status.DONE, null);
            return true;
        }
        return false;
    }

    /** Ends the job (cancelled, expired, failed); false if it had already ended. */
    synchronized boolean finish(Status s, String why) {
        if (status.terminal()) {
            return false;
        }
        status = s;
        error = why;
        notifyAll();
        done.complete(this);
        return true;
    }

    synchronized int imagesDone() {
        return imagesDone;
    }

    synchronized int[] tokens(int k) {
        return tokens[k];
    }

    synchronized byte[] png(int k) {
        return png[k];
    }

    synchronized int passes(int k) {
        return passes[k];
    }
}
