package org.jejunet.core;

/**
 * Resizing ARGB frames as the host does (OpenCV's nearest, bilinear and area rules, ported
 * channel by channel), plus the crop and pad geometry of the host's resize operator.
 */
public final class Resize {
    private Resize() {
    }

    /** Resize to width×height; "crop" centre-crops and "pad" letterboxes (black) to keep aspect. */
    public static Image resize(Image src, int width, int height, String mode, String interpolation) {
        int w = src.width;
        int h = src.height;
        if ("stretch".equals(mode) || (long) h * width == (long) w * height) {
            return scale(src, width, height, interpolation);
        }
        double s = "crop".equals(mode)
                ? Math.max((double) width / w, (double) height / h)
                : Math.min((double) width / w, (double) height / h);
        int newW = Math.max(1, (int) Math.rint(w * s));
        int newH = Math.max(1, (int) Math.rint(h * s));
        Image scaled = scale(src, newW, newH, interpolation);
        Image out = new Image(width, height);
        if ("crop".equals(mode)) {
            int x0 = (newW - width) / 2;
            int y0 = (newH - height) / 2;
            for (int y = 0; y < height; y++) {
                System.arraycopy(scaled.argb, (y + y0) * newW + x0, out.argb, y * width, width);
            }
        } else {
            java.util.Arrays.fill(out.argb, 0xFF000000);
            int x0 = (width - newW) / 2;
            int y0 = (height - newH) / 2;
            for (int y = 0; y < newH; y++) {
                System.arraycopy(scaled.argb, y * newW, out.argb, (y + y0) * width + x0, newW);
            }
        }
        return out;
    }

    static Image scale(Image src, int width, int height, String interpolation) {
        if (src.width == width && src.height == height) {
            return new Image(width, height, src.argb.clone());
        }
        if ("nearest".equals(interpolation)) {
            return nearest(src, width, height);
        }
        if ("area".equals(interpolation) && src.width >= width && src.height >= height) {
            return area(src, width, height);
        }
        if ("linear".equals(interpolation) || "area".equals(interpolation)) {
            return linear(src, width, height);
        }
        throw new IllegalArgumentException("interpolation '" + interpolation + "' is not supported");
    }

    /** Source index of each destination index, as OpenCV's INTER_NEAREST. */
    public static int[] nearestTable(int srcSize, int dstSize) {
        double inv = 1.0 / ((double) dstSize / srcSize);
        int[] table = new int[dstSize];
        for (int d = 0; d < dstSize; d++) {
            table[d] = Math.min((int) Math.floor(d * inv), srcSize - 1);
        }
        return table;
    }

    static Image nearest(Image src, int width, int height) {
        int[] xs = nearestTable(src.width, width);
        int[] ys = nearestTable(src.height, height);
        int[] out = new int[width * height];
        for (int y = 0; y < height; y++) {
            int row = ys[y] * src.width;
            for (int x = 0; x < width; x++) {
                out[y * width + x] = src.argb[row + xs[x]];
            }
        }
        return new Image(width, height, out);
    }

    /** Bilinear taps: source index and weight of the first tap per destination index (float, as OpenCV). */
    static void linearTaps(int srcSize, int dstSize, int[] index, float[] weight) {
        double scale = (double) srcSize / dstSize;
        for (int d = 0; d < dstSize; d++) {
            float f = (float) ((d + 0.5) * scale - 0.5);
            int s = (int) Math.floor(f);
            f -= s;
            if (s < 0) {
                f = 0;
                s = 0;
            }
            if (s >= srcSize - 1) {
                f = 0;
                s = srcSize - 1;
            }
            index[d] = s;
            weight[d] = f;
        }
    }

    /**
     * Vertical taps of OpenCV's 8-bit bilinear resize: unlike the horizontal ones, not clamped at
     * the borders (the first and last rows blend a clamped row with itself, with both weights).
     */
    static void rowTaps(int srcSize, int dstSize, int[] index, float[] weight) {
        double scale = (double) srcSize / dstSize;
        for (int d = 0; d < dstSize; d++) {
            float f = (float) ((d + 0.5) * scale - 0.5);
            int s = (int) Math.floor(f);
            index[d] = s;
            weight[d] = f - s;
        }
    }

    private static final int COEF_BITS = 11;
    private static final int COEF_SCALE = 1 << COEF_BITS;

    static Image linear(Image src, int width, int height) {
        int[] xi = new int[width];
        float[] xf = new float[width];
        int[] yi = new int[height];
        float[] yf = new float[height];
        linearTaps(src.width, width, xi, xf);
        rowTaps(src.height, height, yi, yf);
        int[] out = new int[width * height];
        int[][] rows = new int[2][width * 3];
        for (int y = 0; y < height; y++) {
            int y0 = Math.max(0, Math.min(yi[y], src.height - 1));
            int y1 = Math.max(0, Math.min(yi[y] + 1, src.height - 1));
            horizontal(src, y0, xi, xf, rows[0]);
            horizontal(src, y1, xi, xf, rows[1]);
            int b1 = (short) Math.rint(yf[y] * COEF_SCALE);
            int b0 = (short) Math.rint((1.f - yf[y]) * COEF_SCALE);
            for (int x = 0; x < width; x++) {
                int[] c = new int[3];
                for (int k = 0; k < 3; k++) {
                    int s0 = rows[0][x * 3 + k] >> 4;
                    int s1 = rows[1][x * 3 + k] >> 4;
                    int v = (((b0 * s0) >> 16) + ((b1 * s1) >> 16) + 2) >> 2;
                    c[k] = Math.max(0, Math.min(255, v));
                }
                out[y * width + x] = Image.pack(c[0], c[1], c[2]);
            }
        }
        return new Image(width, height, out);
    }

    private static void horizontal(Image src, int y, int[] xi, float[] xf, int[] row) {
        int base = y * src.width;
        for (int x = 0; x < xi.length; x++) {
            int a1 = (short) Math.rint(xf[x] * COEF_SCALE);
            int a0 = (short) Math.rint((1.f - xf[x]) * COEF_SCALE);
            int p0 = src.argb[base + xi[x]];
            int p1 = src.argb[base + Math.min(xi[x] + 1, src.width - 1)];
            for (int k = 0; k < 3; k++) {
                int shift = 16 - 8 * k;
                row[x * 3 + k] = ((p0 >> shift) & 0xFF) * a0 + ((p1 >> shift) & 0xFF) * a1;
            }
        }
    }

    /** OpenCV's area table: (destination, source, weight) triples along one axis. */
    static float[][] areaTable(int srcSize, int dstSize) {
        double scale = (double) srcSize / dstSize;
        java.util.List<float[]> tab = new java.util.ArrayList<float[]>();
        for (int d = 0; d < dstSize; d++) {
            double fs1 = d * scale;
            double fs2 = fs1 + scale;
            double cell = Math.min(scale, srcSize - fs1);
            int s1 = (int) Math.ceil(fs1);
            int s2 = (int) Math.floor(fs2);
            s2 = Math.min(s2, srcSize - 1);
            s1 = Math.min(s1, s2);
            if (s1 - fs1 > 1e-3) {
                tab.add(new float[] {d, s1 - 1, (float) ((s1 - fs1) / cell)});
            }
            for (int s = s1; s < s2; s++) {
                tab.add(new float[] {d, s, (float) (1.0 / cell)});
            }
            if (fs2 - s2 > 1e-3) {
                tab.add(new float[] {d, s2, (float) (Math.min(Math.min(fs2 - s2, 1.), cell) / cell)});
            }
        }
        return tab.toArray(new float[0][]);
    }

    static Image area(Image src, int width, int height) {
        float[][] xtab = areaTable(src.width, width);
        float[][] ytab = areaTable(src.height, height);
        float[] buf = new float[width * 3];
        float[] sum = new float[width * 3];
        int[] out = new int[width * height];
        int prevDy = (int) ytab[0][0];
        for (float[] yt : ytab) {
            int dy = (int) yt[0];
            int sy = (int) yt[1];
            float beta = yt[2];
            java.util.Arrays.fill(buf, 0f);
            int base = sy * src.width;
            for (float[] xt : xtab) {
                int dx = (int) xt[0] * 3;
                int p = src.argb[base + (int) xt[1]];
                float alpha = xt[2];
                buf[dx] = buf[dx] + ((p >> 16) & 0xFF) * alpha;
                buf[dx + 1] = buf[dx + 1] + ((p >> 8) & 0xFF) * alpha;
                buf[dx + 2] = buf[dx + 2] + (p & 0xFF) * alpha;
            }
            if (dy != prevDy) {
                store(sum, out, prevDy, width);
                for (int i = 0; i < sum.length; i++) {
                    sum[i] = beta * buf[i];
                }
                prevDy = dy;
            } else {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += beta * buf[i];
                }
            }
        }
        store(sum, out, prevDy, width);
        return new Image(width, height, out);
    }

    private static void store(float[] sum, int[] out, int dy, int width) {
        for (int x = 0; x < width; x++) {
            out[dy * width + x] = Image.pack(u8(sum[x * 3]), u8(sum[x * 3 + 1]), u8(sum[x * 3 + 2]));
        }
    }

    /** OpenCV's saturate_cast to uint8 of a float: round half to even, clamp. */
    public static int u8(float v) {
        int r = (int) Math.rint(v);
        return r < 0 ? 0 : (r > 255 ? 255 : r);
    }
}
