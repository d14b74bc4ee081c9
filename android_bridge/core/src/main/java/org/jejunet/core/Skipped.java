package org.jejunet.core;

/** Marker on a stream for a frame on which an upstream node produced nothing (as on the host). */
public final class Skipped {
    public static final Skipped SKIPPED = new Skipped();

    private Skipped() {
    }

    @Override
    public String toString() {
        return "SKIPPED";
    }
}
