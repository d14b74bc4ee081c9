package org.jejunet.core;

/** What a network thread did so far (a snapshot): keyframes handed over, dropped, finished, delivered. */
public final class NetworkStats {
    /** Keyframes the frame path handed to the network thread. */
    public final int submitted;
    /** Keyframes that never ran: a newer one took their place in the one-slot mailbox, or the runner closed. */
    public final int dropped;
    /** Network calls finished. */
    public final int completed;
    /** Finished results replaced by a newer one before a consumer was called with them (never shown). */
    public final int superseded;
    /** Results delivered: a consumer of the delayed edge was called with them (a frame skipping it keeps the result). */
    public final int delivered;
    /** Whether a call is running now. */
    public final boolean busy;
    /** Frame of the last delivered result (the runner's frame count), -1 before the first. */
    public final int lastOrigin;
    /** Frames between the last delivered result's frame and the frame it was delivered on, -1 before the first. */
    public final int lastDelayFrames;

    NetworkStats(int submitted, int dropped, int completed, int superseded, int delivered, boolean busy,
            int lastOrigin, int lastDelayFrames) {
        this.submitted = submitted;
        this.dropped = dropped;
        this.completed = completed;
        this.superseded = superseded;
        this.delivered = delivered;
        this.busy = busy;
        this.lastOrigin = lastOrigin;
        this.lastDelayFrames = lastDelayFrames;
    }

    @Override
    public String toString() {
        return submitted + " keyframes, " + dropped + " dropped, " + completed + " run, " + superseded
                + " superseded, " + delivered + " delivered" + (lastDelayFrames >= 0 ? ", last " + lastDelayFrames
                + " frames late" : "") + (busy ? ", busy" : "");
    }
}
