package org.jejunet.core;

/** Thread helpers shared by the runtime and the adapters. */
public final class Threads {
    private Threads() {}

    /** Waits until {@code thread} has ended, even when interrupted; the interrupt is kept for the caller. */
    public static void joinUninterruptibly(Thread thread) {
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
}
