package org.jejunet.core;

import java.util.Map;

/**
 * One network node on a thread of its own (realtime schedule). The operator (the model's
 * interpreter) is created, called and closed only on that thread. The frame path hands keyframes
 * over through a one-slot mailbox and never waits: the newest keyframe waits while a call runs,
 * an older waiting one is dropped (and counted). A finished result waits in a slot: the frame
 * path peeks at it at the start of a frame and commits it once a consumer is called with it (a
 * frame that skips the consumer leaves it for the next); a newer result replaces one not
 * committed (superseded). Everything crosses threads under one lock. Anything the operator
 * throws (an Error too: a missing native library, memory) is the node's failure: the constructor
 * throws it when creating the operator failed, the next submit or peek once a call failed.
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
    private Throwable failure;
    private int submitted;
    private int dropped;
    private int completed;
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
        boolean opened;
        synchronized (lock) {
            // the thread reports before it ends; isAlive guards against one that ends without a word
            while (!ready && thread.isAlive()) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            opened = ready;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!opened || openFailure != null) {
            join();
            throw openFailure != null ? openFailure
                    : new BundleException("node '" + node + "': its network thread ended before the operator was created");
        }
    }

    private void loop(OperatorFactory factory) {
        Operator op;
        try {
            op = factory.create();
        } catch (BundleException e) {
            opened(e);
            return;
        } catch (Throwable e) { // a RuntimeException, or an Error such as UnsatisfiedLinkError
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
                } catch (Throwable e) { // an Error too: the frame path must hear of it
                    synchronized (lock) {
                        failure = e;
                        running = false;
                        lock.notifyAll();
                    }
                    return;
                }
                synchronized (lock) {
                    finished = new Result(job.origin, outputs);
                    running = false;
                    completed++;
                    lock.notifyAll();
                }
            }
        } finally {
            try {
                op.close();
            } catch (Throwable e) {
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

    /** The newest finished result not committed yet (null if none); it stays until {@link #commit}. */
    Result peek() {
        synchronized (lock) {
            rethrow();
            return finished;
        }
    }

    /**
     * A consumer was called on frame `now` with `result` (from {@link #peek}): delivered. It leaves
     * the slot unless a newer one has replaced it since (that one waits for a later frame).
     */
    void commit(Result result, int now) {
        synchronized (lock) {
            if (finished == result) {
                finished = null;
            }
            delivered++;
            lastOrigin = result.origin;
            lastDelay = now - result.origin;
        }
    }

    /** Throws (naming the node) once a call failed or the thread died without closing. */
    private void rethrow() {
        if (failure != null) {
            throw new IllegalStateException("network node '" + node + "' failed: " + failure, failure);
        }
        if (!closing && !thread.isAlive()) {
            throw new IllegalStateException("network node '" + node + "' failed: its thread ended");
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
            // every finished result is delivered, waiting in the slot, or was replaced (superseded)
            int superseded = completed - delivered - (finished != null ? 1 : 0);
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
        Threads.joinUninterruptibly(thread);
    }

    /** Whether the thread has ended (after close). */
    boolean ended() {
        return !thread.isAlive();
    }
}
