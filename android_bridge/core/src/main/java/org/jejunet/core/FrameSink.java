package org.jejunet.core;

/** Where the display node sends frames: a View on the phone, a list in tests. */
public interface FrameSink {
    void show(FrameInfo info, Image frame);
}
