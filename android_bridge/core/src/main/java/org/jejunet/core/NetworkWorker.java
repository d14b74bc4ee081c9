package org.jejunet.core;

import java.util.Map;

/**
 * One network node on a thread of its own (realtime schedule). The operator (the model's
 * interpreter) is created, called and closed only on that thread. The frame path hands keyframes
 * over through a one-slot mailbox and never waits: the newest keyframe waits while a call runs,
 * an older waiting one is dropped (and counted). A finished result waits in a slot until the
 * frame path takes it at the start of its next frame; everything crosses threads under one lock.
 */
final class NetworkWorker {
    /** Makes the node's operator; called on the network thread. */
    interface OperatorFactory {
        Operator create() throws BundleException;
    }

    /** A finished call: the outputs of the frame `origin` (the runner's frame count). */
    static final class Result {
        final int origin;
        final Map<String, Object> outputs;

        Result(int origin, Map<String, Object> outputs) {
            this.origin = origin;
            this.outputs = outputs;
        }
    }

    private static final class Job {
        final int origin;
        final FrameInfo info;
        final Map<String, Object> inputs;

        Job(int origin, FrameInfo info, Map<String, Object> inputs) {
            this.origin = origin;
            this.info = info;
            this.inputs = inputs;
        }
    }

    final String node;
    private final Thread thread;
    private final Object lock = new Object();
    // all below guarded by lock
    private Job waiting;
    private boolean running;
    private Result finished;
    private boolean ready;
    private boolean closing;
    private BundleException openFailure;
    private RuntimeException failure;
    private int submitted;
    private int dropped;
    private int completed;
    private int superseded;
    private int delivered;
    private int lastOrigin = -1;
    private int lastDelay = -1;

    /** Starts the thread and creates the operator there; a failure to create it is thrown here. */
    NetworkWorker(String node, final OperatorFactory factory) throws BundleException {
        this.node = node;
        thread = new Thread(new Runnable() {
            @Override
            public void run() {
                loop(factory);
            }
        }, "jejunet-network-" + node);
        thread.setDaemon(true);
        thread.start();
        boolean interrupted = false;
        synchronized (lock) {
            while (!ready) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (openFailure != null) {
            join();
            throw openFailure;
        }
    }

    private void loop(OperatorFactory factory) {
        Operator op;
        try {
            op = factory.create();
        } catch (BundleException e) {
            opened(e);
            return;
        } catch (RuntimeException e) {
            opened(new BundleException("node '" + node + "': " + e, e));
            return;
        }
        opened(null);
        try {
            while (true) {
                Job job = next();
                if (job == null) {
                    return;
                }
                Map<String, Object> outputs;
                try {
                    outputs = op.process(job.info, job.inputs);
                } catch (RuntimeException e) {
                    synchronized (lock) {
                        failure = e;
                        running = false;
                        lock.notifyAll();
                    }
                    return;
                }
                synchronized (lock) {
                    if (finished != null) {
                        superseded++;
                    }
                    finished = new Result(job.origin, outputs);
                    running = false;
                    completed++;
                    lock.notifyAll();
                }
            }
        } finally {
            try {
                op.close();
            } catch (RuntimeException e) {
                // the thread ends either way
            }
        }
    }

    private void opened(BundleException e) {
        synchronized (lock) {
            openFailure = e;
            ready = true;
            lock.notifyAll();
        }
    }

    /** The next keyframe to run, or null once closing (a keyframe still waiting then is dropped). */
    private Job next() {
        synchronized (lock) {
            while (waiting == null && !closing) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    closing = true;
                }
            }
            if (closing) {
                return null;
            }
            Job job = waiting;
            waiting = null;
            running = true;
            return job;
        }
    }

    /** Hands a keyframe over without waiting; an older keyframe still waiting is dropped. */
    void submit(int origin, FrameInfo info, Map<String, Object> inputs) {
        synchronized (lock) {
            rethrow();
            if (closing) {
                throw new IllegalStateException("network node '" + node + "' is closed");
            }
            if (waiting != null) {
                dropped++;
            }
            waiting = new Job(origin, info, inputs);
            submitted++;
            lock.notifyAll();
        }
    }

    /** The newest finished result not taken yet (null if none), taken on frame `now`. */
    Result take(int now) {
        synchronized (lock) {
            rethrow();
            Result result = finished;
            finished = null;
            if (result != null) {
                delivered++;
                lastOrigin = result.origin;
                lastDelay = now - result.origin;
            }
            return result;
        }
    }

    private void rethrow() {
        if (failure != null) {
            throw new IllegalStateException("network node '" + node + "' failed: " + failure, failure);
        }
    }

    /** Waits until no keyframe runs or waits (true), or the timeout passes (false). For tests and draining. */
    boolean awaitIdle(long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1000000L;
        synchronized (lock) {
            while ((running || waiting != null) && failure == null && thread.isAlive()) {
                long left = (end - System.nanoTime()) / 1000000L;
                if (left <= 0) {
                    return false;
                }
                lock.wait(left);
            }
            return true;
        }
    }

    NetworkStats stats() {
        synchronized (lock) {
            return new NetworkStats(submitted, dropped, completed, superseded, delivered, running, lastOrigin,
                    lastDelay);
        }
    }

    /** Drops a waiting keyframe, lets a running call finish, closes the operator on its thread, joins it. */
    void close() {
        synchronized (lock) {
            closing = true;
            if (waiting != null) {
                dropped++;
                waiting = null;
            }
            lock.notifyAll();
        }
        join();
    }

    private void join() {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the thread has ended (after close). */
    boolean ended() {
        return !thread.isAlive();
    }
}
