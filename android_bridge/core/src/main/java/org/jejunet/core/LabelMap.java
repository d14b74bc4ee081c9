package org.jejunet.core;

/** Class id per pixel, 0..255 stored in bytes (the host's labels.u8). */
public final class LabelMap {
    public final int width;
    public final int height;
    public final byte[] labels;

    public LabelMap(int width, int height, byte[] labels) {
        if (labels.length != width * height) {
            throw new IllegalArgumentException("expected " + width * height + " labels, got " + labels.length);
        }
        this.width = width;
        this.height = height;
        this.labels = labels;
    }

    public int get(int x, int y) {
        return labels[y * width + x] & 0xFF;
    }
}
