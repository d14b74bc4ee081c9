package org.jejunet.core;

/** Class colours blended on the frame (background left as it is unless asked), as on the host. */
public final class Overlay {
    private Overlay() {
    }

    public static Image blend(Image image, LabelMap labels, double alpha, boolean background) {
        if (image.width != labels.width || image.height != labels.height) {
            throw new IllegalArgumentException("labels " + labels.width + "×" + labels.height + " do not match the frame "
                    + image.width + "×" + image.height + ": upsample the labels first");
        }
        float a = (float) (1.0 - alpha);
        float b = (float) alpha;
        int[] out = new int[image.argb.length];
        for (int i = 0; i < out.length; i++) {
            int cls = labels.labels[i] & 0xFF;
            int p = image.argb[i];
            if (cls == 0 && !background) {
                out[i] = p | 0xFF000000;
                continue;
            }
            int c = Palette.rgb(cls);
            out[i] = Image.pack(mix((p >> 16) & 0xFF, (c >> 16) & 0xFF, a, b),
                    mix((p >> 8) & 0xFF, (c >> 8) & 0xFF, a, b), mix(p & 0xFF, c & 0xFF, a, b));
        }
        return new Image(image.width, image.height, out);
    }

    private static int mix(int src, int colour, float a, float b) {
        return Resize.u8(src * a + colour * b);
    }

    /** The non-background classes present (sampled every 2nd pixel of every 2nd row, as the host), in order. */
    public static int[] present(LabelMap labels, int classes) {
        boolean[] seen = new boolean[256];
        for (int y = 0; y < labels.height; y += 2) {
            for (int x = 0; x < labels.width; x += 2) {
                seen[labels.labels[y * labels.width + x] & 0xFF] = true;
            }
        }
        int n = 0;
        int[] tmp = new int[256];
        for (int c = 1; c < Math.min(classes, 256); c++) {
            if (seen[c]) {
                tmp[n++] = c;
            }
        }
        return java.util.Arrays.copyOf(tmp, n);
    }
}
