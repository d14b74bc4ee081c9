package org.jejunet.core;

/** Class probabilities, H×W×C float32 (channel last) with the class id of each channel. */
public final class Probs {
    public final int width;
    public final int height;
    public final int channels;
    public final float[] data;
    public final int[] classIds;

    public Probs(int width, int height, int channels, float[] data, int[] classIds) {
        if (data.length != width * height * channels || classIds.length != channels) {
            throw new IllegalArgumentException("probabilities do not match " + width + "×" + height + "×" + channels);
        }
        this.width = width;
        this.height = height;
        this.channels = channels;
        this.data = data;
        this.classIds = classIds;
    }

    /** Most probable class per pixel (the first one on ties, as numpy's argmax). */
    public LabelMap argmax() {
        byte[] out = new byte[width * height];
        for (int i = 0; i < out.length; i++) {
            int base = i * channels;
            int best = 0;
            float bestValue = data[base];
            for (int c = 1; c < channels; c++) {
                if (data[base + c] > bestValue) {
                    bestValue = data[base + c];
                    best = c;
                }
            }
            out[i] = (byte) classIds[best];
        }
        return new LabelMap(width, height, out);
    }

    /** Probability of the winning class per pixel. */
    public float[] confidence() {
        float[] out = new float[width * height];
        for (int i = 0; i < out.length; i++) {
            float best = data[i * channels];
            for (int c = 1; c < channels; c++) {
                best = Math.max(best, data[i * channels + c]);
            }
            out[i] = best;
        }
        return out;
    }
}
