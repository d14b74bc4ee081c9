package org.jejunet.core;

/**
 * Motion compensation, ported from the host's warp (OpenCV remap rules, edges replicated):
 * labels by nearest neighbour (coordinates rounded half to even), probabilities bilinearly with
 * OpenCV's 1/32-pixel weight table.
 */
public final class Warp {
    private static final int BITS = 5;
    private static final int TAB = 1 << BITS;
    private static final float[] WTAB = weights();

    private Warp() {
    }

    private static float[] weights() {
        float[] tab = new float[TAB * TAB * 4];
        float scale = 1.f / TAB;
        for (int i = 0; i < TAB; i++) {
            float fy = i * scale;
            float[] ty = {1.f - fy, fy};
            for (int j = 0; j < TAB; j++) {
                float fx = j * scale;
                float[] tx = {1.f - fx, fx};
                int base = (i * TAB + j) * 4;
                tab[base] = ty[0] * tx[0];
                tab[base + 1] = ty[0] * tx[1];
                tab[base + 2] = ty[1] * tx[0];
                tab[base + 3] = ty[1] * tx[1];
            }
        }
        return tab;
    }

    /** Flow at (width, height): resized bilinearly and scaled when its grid differs, as the host does. */
    static FlowField fit(FlowField flow, int width, int height) {
        if (flow.width == width && flow.height == height) {
            return flow;
        }
        float sx = (float) ((double) width / flow.width);
        float sy = (float) ((double) height / flow.height);
        Probs asChannels = new Probs(flow.width, flow.height, 2, flow.data, new int[] {0, 1});
        float[] dx = Upsample.channel(asChannels, 0, width, height);
        float[] dy = Upsample.channel(asChannels, 1, width, height);
        float[] out = new float[width * height * 2];
        for (int i = 0; i < width * height; i++) {
            out[2 * i] = dx[i] * sx;
            out[2 * i + 1] = dy[i] * sy;
        }
        return new FlowField(width, height, out);
    }

    private static int saturateShort(double v) {
        return (int) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, v));
    }

    private static int clamp(int v, int size) {
        return v < 0 ? 0 : (v >= size ? size - 1 : v);
    }

    public static LabelMap labels(LabelMap labels, FlowField flow) {
        int w = labels.width;
        int h = labels.height;
        FlowField f = fit(flow, w, h);
        byte[] out = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                float mx = (float) x + f.data[2 * i];
                float my = (float) y + f.data[2 * i + 1];
                int sx = clamp(saturateShort(Math.rint(mx)), w);
                int sy = clamp(saturateShort(Math.rint(my)), h);
                out[i] = labels.labels[sy * w + sx];
            }
        }
        return new LabelMap(w, h, out);
    }

    public static Probs probs(Probs probs, FlowField flow) {
        int w = probs.width;
        int h = probs.height;
        int cn = probs.channels;
        FlowField f = fit(flow, w, h);
        float[] out = new float[w * h * cn];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                float mx = (float) x + f.data[2 * i];
                float my = (float) y + f.data[2 * i + 1];
                int ix = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.rint(mx * TAB)));
                int iy = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.rint(my * TAB)));
                int sx = saturateShort(ix >> BITS);
                int sy = saturateShort(iy >> BITS);
                int wBase = ((iy & (TAB - 1)) * TAB + (ix & (TAB - 1))) * 4;
                int x0 = clamp(sx, w);
                int x1 = clamp(sx + 1, w);
                int y0 = clamp(sy, h);
                int y1 = clamp(sy + 1, h);
                for (int c = 0; c < cn; c++) {
                    float v = probs.data[(y0 * w + x0) * cn + c] * WTAB[wBase]
                            + probs.data[(y0 * w + x1) * cn + c] * WTAB[wBase + 1]
                            + probs.data[(y1 * w + x0) * cn + c] * WTAB[wBase + 2]
                            + probs.data[(y1 * w + x1) * cn + c] * WTAB[wBase + 3];
                    out[i * cn + c] = v;
                }
            }
        }
        return new Probs(w, h, cn, out, probs.classIds);
    }
}
