package org.jejunet.core;

/** Pixel agreement between the Java runtime and the host's recorded values. */
record Compare(long total, long exact, int maxDiff) {
    double exactShare() {
        return total == 0 ? 1.0 : (double) exact / total;
    }

    static Compare labels(LabelMap java, Npy host) {
        byte[] h = host.bytes();
        if (java.width != host.shape()[1] || java.height != host.shape()[0]) {
            throw new AssertionError("size " + java.width + "×" + java.height + " vs host "
                    + host.shape()[1] + "×" + host.shape()[0]);
        }
        long same = 0;
        for (int i = 0; i < h.length; i++) {
            if (h[i] == java.labels[i]) {
                same++;
            }
        }
        return new Compare(h.length, same, same == h.length ? 0 : 255);
    }

    /** Per channel, ARGB vs the host's BGR. */
    static Compare image(Image java, Npy host) {
        Image h = host.image();
        if (java.width != h.width || java.height != h.height) {
            throw new AssertionError("size " + java.width + "×" + java.height + " vs host " + h.width + "×" + h.height);
        }
        long same = 0;
        int max = 0;
        for (int i = 0; i < h.argb.length; i++) {
            for (int shift = 0; shift <= 16; shift += 8) {
                int d = Math.abs(((java.argb[i] >> shift) & 0xFF) - ((h.argb[i] >> shift) & 0xFF));
                max = Math.max(max, d);
                if (d == 0) {
                    same++;
                }
            }
        }
        return new Compare(3L * h.argb.length, same, max);
    }

    Compare plus(Compare other) {
        return new Compare(total + other.total, exact + other.exact, Math.max(maxDiff, other.maxDiff));
    }

    @Override
    public String toString() {
        return String.format("%d/%d exact (%.4f %%), max diff %d", exact, total, 100.0 * exactShare(), maxDiff);
    }
}
