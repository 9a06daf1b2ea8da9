package io.tessera.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool that runs one range-parallel loop at a time: {@code [0, n)} is cut into one
 * contiguous chunk per thread, the caller runs chunk 0 and waits for the others. Work is split over
 * independent outputs only (never inside one reduction), so results do not depend on the thread
 * count. Workers are daemon threads owned by one session; {@link #close()} stops them.
 */
final class Parallel implements AutoCloseable {
    /** Body of a parallel loop over {@code [from, to)}. */
    @FunctionalInterface
    interface Range {
        void run(int from, int to);
    }

    private static final int SPINS = 20_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Range body;
    private volatile int total;
    private volatile Thread caller;
    private volatile Throwable failure;

    Parallel(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be ≥ 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int chunk = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name(name + "-" + chunk).unstarted(() -> workerLoop(chunk));
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code [0, n)} split into contiguous chunks, one per thread. */
    void range(int n, Range r) {
        if (closed) {
            throw new IllegalStateException("cpu-vector: session is closed");
        }
        if (threads == 1 || n <= 1) {
            r.run(0, n);
            return;
        }
        body = r;
        total = n;
        failure = null;
        caller = Thread.currentThread();
        pending.set(workers.length);
        generation = generation + 1;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        Throwable mine = null;
        try {
            runChunk(0);
        } catch (Throwable t) {
            mine = t;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        body = null;
        Throwable t = mine != null ? mine : failure;
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error e) {
            throw e;
        }
    }

    private void runChunk(int chunk) {
        int n = total;
        int from = (int) ((long) n * chunk / threads);
        int to = (int) ((long) n * (chunk + 1) / threads);
        if (from < to) {
            body.run(from, to);
        }
    }

    private void workerLoop(int chunk) {
        long seen = 0;
        while (true) {
            int spins = 0;
            while (generation == seen && !closed) {
                if (++spins < SPINS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                runChunk(chunk);
            } catch (Throwable t) {
                failure = t;
            }
            if (pending.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        for (Thread w : workers) {
            try {
                w.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
