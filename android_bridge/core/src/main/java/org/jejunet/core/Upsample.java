package org.jejunet.core;

/** Labels (nearest) or probabilities (bilinear, then argmax) to the frame's size, as on the host. */
public final class Upsample {
    private Upsample() {
    }

    public static LabelMap labels(LabelMap labels, int width, int height) {
        if (labels.width == width && labels.height == height) {
            return labels;
        }
        int[] xs = Resize.nearestTable(labels.width, width);
        int[] ys = Resize.nearestTable(labels.height, height);
        byte[] out = new byte[width * height];
        for (int y = 0; y < height; y++) {
            int row = ys[y] * labels.width;
            for (int x = 0; x < width; x++) {
                out[y * width + x] = labels.labels[row + xs[x]];
            }
        }
        return new LabelMap(width, height, out);
    }

    /** Bilinear resize of one channel (float, OpenCV's INTER_LINEAR rule). */
    public static float[] channel(Probs probs, int c, int width, int height) {
        int sw = probs.width;
        int sh = probs.height;
        int[] xi = new int[width];
        float[] xf = new float[width];
        int[] yi = new int[height];
        float[] yf = new float[height];
        Resize.linearTaps(sw, width, xi, xf);
        Resize.linearTaps(sh, height, yi, yf);
        float[] out = new float[width * height];
        float[] row0 = new float[width];
        float[] row1 = new float[width];
        for (int y = 0; y < height; y++) {
            horizontal(probs, c, yi[y], xi, xf, row0);
            horizontal(probs, c, Math.min(yi[y] + 1, sh - 1), xi, xf, row1);
            float b1 = yf[y];
            float b0 = 1.f - b1;
            for (int x = 0; x < width; x++) {
                out[y * width + x] = row0[x] * b0 + row1[x] * b1;
            }
        }
        return out;
    }

    private static void horizontal(Probs p, int c, int y, int[] xi, float[] xf, float[] row) {
        int base = y * p.width;
        for (int x = 0; x < xi.length; x++) {
            int s0 = xi[x];
            float a1 = xf[x];
            float a0 = 1.f - a1;
            int s1 = Math.min(s0 + 1, p.width - 1);
            row[x] = p.data[(base + s0) * p.channels + c] * a0 + p.data[(base + s1) * p.channels + c] * a1;
        }
    }

    public static LabelMap probs(Probs probs, int width, int height) {
        byte[] out = new byte[width * height];
        if (probs.channels == 2) {
            float[] p = channel(probs, 1, width, height);
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) (p[i] > 0.5f ? probs.classIds[1] : probs.classIds[0]);
            }
            return new LabelMap(width, height, out);
        }
        float[][] channels = new float[probs.channels][];
        for (int c = 0; c < probs.channels; c++) {
            channels[c] = channel(probs, c, width, height);
        }
        for (int i = 0; i < out.length; i++) {
            int best = 0;
            for (int c = 1; c < probs.channels; c++) {
                if (channels[c][i] > channels[best][i]) {
                    best = c;
                }
            }
            out[i] = (byte) probs.classIds[best];
        }
        return new LabelMap(width, height, out);
    }
}
