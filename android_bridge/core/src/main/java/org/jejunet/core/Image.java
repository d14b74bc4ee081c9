package org.jejunet.core;

/** A frame as Android holds it: ARGB_8888 pixels, row by row (the host's frame.bgr8). */
public final class Image {
    public final int width;
    public final int height;
    public final int[] argb;

    public Image(int width, int height, int[] argb) {
        if (argb.length != width * height) {
            throw new IllegalArgumentException("expected " + width * height + " pixels, got " + argb.length);
        }
        this.width = width;
        this.height = height;
        this.argb = argb;
    }

    public Image(int width, int height) {
        this(width, height, new int[width * height]);
    }

    /** Opaque pixel from 8-bit channels. */
    public static int pack(int r, int g, int b) {
        return 0xFF000000 | (r << 16) | (g << 8) | b;
    }
}
