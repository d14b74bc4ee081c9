package org.jejunet.core;

/** What travels with every frame: its index in the stream and its timestamp in seconds. */
public final class FrameInfo {
    public final int index;
    public final double timestamp;

    public FrameInfo(int index, double timestamp) {
        this.index = index;
        this.timestamp = timestamp;
    }
}
