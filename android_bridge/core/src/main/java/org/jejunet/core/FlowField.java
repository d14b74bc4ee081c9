package org.jejunet.core;

/** Optical flow, H×W×2 float32 (dx, dy per pixel), from the previous frame to this one. */
public final class FlowField {
    public final int width;
    public final int height;
    public final float[] data;

    public FlowField(int width, int height, float[] data) {
        if (data.length != width * height * 2) {
            throw new IllegalArgumentException("expected " + width * height * 2 + " flow values, got " + data.length);
        }
        this.width = width;
        this.height = height;
        this.data = data;
    }
}
