package org.jejunet.core;

/** The PASCAL VOC colour map (bit-interleaving rule), class 255 (ignore) white. */
public final class Palette {
    private static final int[] RGB = build();

    private Palette() {
    }

    private static int[] build() {
        int[] palette = new int[256];
        for (int index = 0; index < 256; index++) {
            int value = index;
            int r = 0;
            int g = 0;
            int b = 0;
            for (int shift = 7; shift >= 0; shift--) {
                r |= (value & 1) << shift;
                g |= ((value >> 1) & 1) << shift;
                b |= ((value >> 2) & 1) << shift;
                value >>= 3;
            }
            palette[index] = (r << 16) | (g << 8) | b;
        }
        palette[255] = 0xFFFFFF;
        return palette;
    }

    /** 0xRRGGBB of a class id. */
    public static int rgb(int classId) {
        return RGB[classId & 0xFF];
    }
}
