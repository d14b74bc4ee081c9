package org.jejunet.core;

/**
 * The keyframe gate's prediction error, ported from the host's gate_prediction.py: the last
 * keyframe's grey grid carried by the composed optical flow (fixed point, 1/16 of a cell) and
 * compared with the current grid, in integers, so that both sides decide identically.
 */
public final class KeyframePrediction {
    static final int FIX_SHIFT = 4;
    static final int FIX = 1 << FIX_SHIFT;
    static final long FLOW_LIMIT = 1L << 20;
    static final int NOISE_FLOOR = 2;
    /** Displacements this far apart (2 cells, 1/16 units) landing on one source: an occlusion boundary. */
    static final long OCCLUSION_SPREAD = 2 * FIX;

    /** Weighted error over weighted texture (the host's Error). */
    public static final class Error {
        public final long num;
        public final long den;
        public final int entering;
        public final int occluded;

        Error(long num, long den, int entering, int occluded) {
            this.num = num;
            this.den = den;
            this.entering = entering;
            this.occluded = occluded;
        }

        /** score &gt; threshold, decided in integers. */
        public boolean exceeds(double threshold) {
            return num * 1000 > milli(threshold) * den;
        }
    }

    private KeyframePrediction() {
    }

    /** A threshold in thousandths, rounded half up (the host's milli). */
    static long milli(double threshold) {
        return (long) Math.floor(threshold * 1000 + 0.5);
    }

    static long floorDiv(long a, long b) {
        long q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
    }

    static int centre(int i, int n, int size) {
        return (int) ((2L * i + 1) * n / (2L * size));
    }

    static long clamp(long v, long lo, long hi) {
        return v < lo ? lo : (v > hi ? hi : v);
    }

    /** size×size×2 (dx, dy interleaved): the flow at the cell centres in 1/16 of a cell (floor). */
    public static long[] flowOnGrid(FlowField flow, int size) {
        long[] out = new long[size * size * 2];
        for (int i = 0; i < size; i++) {
            int y = centre(i, flow.height, size);
            for (int j = 0; j < size; j++) {
                int x = centre(j, flow.width, size);
                int at = (y * flow.width + x) * 2;
                long qx = clamp((long) Math.floor(flow.data[at] * 16f), -FLOW_LIMIT, FLOW_LIMIT);
                long qy = clamp((long) Math.floor(flow.data[at + 1] * 16f), -FLOW_LIMIT, FLOW_LIMIT);
                out[(i * size + j) * 2] = floorDiv(qx * size, flow.width);
                out[(i * size + j) * 2 + 1] = floorDiv(qy * size, flow.height);
            }
        }
        return out;
    }

    /** The cell nearest cell (i, j) + (dx, dy) in 1/16 of a cell, clamped into the grid (flat index). */
    static int nearestCell(int i, int j, long dx, long dy, int size) {
        int si = (int) clamp(((long) i * FIX + dy + FIX / 2) >> FIX_SHIFT, 0, size - 1);
        int sj = (int) clamp(((long) j * FIX + dx + FIX / 2) >> FIX_SHIFT, 0, size - 1);
        return si * size + sj;
    }

    /** Displacement to the keyframe from this frame: the step, then the previous displacement there. */
    public static long[] compose(long[] displacement, long[] step, int size) {
        long[] out = new long[size * size * 2];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                int c = (i * size + j) * 2;
                int s = nearestCell(i, j, step[c], step[c + 1], size) * 2;
                out[c] = step[c] + displacement[s];
                out[c + 1] = step[c + 1] + displacement[s + 1];
            }
        }
        return out;
    }

    /** (sum, count) of absolute differences between neighbouring cells, the sum at least the noise floor. */
    static long[] texture(int[] key, int size) {
        long total = 0;
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                int v = key[i * size + j];
                if (i + 1 < size) {
                    total += Math.abs(key[(i + 1) * size + j] - v);
                }
                if (j + 1 < size) {
                    total += Math.abs(key[i * size + j + 1] - v);
                }
            }
        }
        long count = 2L * size * (size - 1);
        return new long[] {Math.max(total, NOISE_FLOOR * count), count};
    }

    /** The keyframe's grid sampled bilinearly at cell + displacement (4-bit weights), as the host's predict. */
    static long sample(int[] key, int size, long py, long px) {
        py = clamp(py, 0, (long) (size - 1) * FIX);
        px = clamp(px, 0, (long) (size - 1) * FIX);
        int y0 = (int) (py >> FIX_SHIFT);
        int x0 = (int) (px >> FIX_SHIFT);
        long wy = py & (FIX - 1);
        long wx = px & (FIX - 1);
        int y1 = Math.min(y0 + 1, size - 1);
        int x1 = Math.min(x0 + 1, size - 1);
        long upper = key[y0 * size + x0] * (FIX - wx) + key[y0 * size + x1] * wx;
        long lower = key[y1 * size + x0] * (FIX - wx) + key[y1 * size + x1] * wx;
        return (upper * (FIX - wy) + lower * wy + FIX * FIX / 2) >> (2 * FIX_SHIFT);
    }

    /** Cell c + its displacement lies outside the keyframe's grid (content that entered at a border). */
    static boolean entering(long[] displacement, int c, int size) {
        long top = (long) (size - 1) * FIX + FIX / 2;
        long py = (long) (c / size) * FIX + displacement[c * 2 + 1];
        long px = (long) (c % size) * FIX + displacement[c * 2];
        return py < -FIX / 2 || py > top || px < -FIX / 2 || px > top;
    }

    /**
     * Cells on one side of an occlusion boundary (the host's occluded): the keyframe cell nearest a
     * cell's source is also claimed by cells whose displacements differ by OCCLUSION_SPREAD or more
     * along an axis. Entering cells are left out.
     */
    public static boolean[] occluded(long[] displacement, int size) {
        int n = size * size;
        long[] lo = new long[n * 2];
        long[] hi = new long[n * 2];
        java.util.Arrays.fill(lo, Long.MAX_VALUE);
        java.util.Arrays.fill(hi, Long.MIN_VALUE);
        int[] at = new int[n];
        for (int c = 0; c < n; c++) {
            if (entering(displacement, c, size)) {
                at[c] = -1;
                continue;
            }
            at[c] = nearestCell(c / size, c % size, displacement[c * 2], displacement[c * 2 + 1], size);
            for (int a = 0; a < 2; a++) {
                long d = displacement[c * 2 + a];
                lo[at[c] * 2 + a] = Math.min(lo[at[c] * 2 + a], d);
                hi[at[c] * 2 + a] = Math.max(hi[at[c] * 2 + a], d);
            }
        }
        boolean[] marked = new boolean[n];
        for (int c = 0; c < n; c++) {
            int s = at[c];
            marked[c] = s >= 0 && (hi[s * 2] - lo[s * 2] >= OCCLUSION_SPREAD
                    || hi[s * 2 + 1] - lo[s * 2 + 1] >= OCCLUSION_SPREAD);
        }
        return marked;
    }

    /** How badly the keyframe carried by `displacement` predicts `current` (objects may be null). */
    public static Error error(int[] key, long[] displacement, int[] current, boolean[] objects, int objectWeight,
            int size) {
        return error(key, displacement, current, objects, objectWeight, size, texture(key, size), 0);
    }

    /**
     * As above, with the keyframe's texture kept by the caller (it changes only at a keyframe) and
     * occlusion cells counting at least `occlusionUnits` texture units (0: not looked for).
     */
    public static Error error(int[] key, long[] displacement, int[] current, boolean[] objects, int objectWeight,
            int size, long[] tex, int occlusionUnits) {
        boolean[] marked = occlusionUnits > 0 ? occluded(displacement, size) : null;
        long num = 0;
        long weights = 0;
        int entering = 0;
        int occluded = 0;
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                int c = i * size + j;
                long py = (long) i * FIX + displacement[c * 2 + 1];
                long px = (long) j * FIX + displacement[c * 2];
                long e = Math.abs(sample(key, size, py, px) - current[c]) * tex[1];
                if (entering(displacement, c, size)) {
                    entering++;
                    e = Math.max(e, tex[0]);
                }
                if (marked != null && marked[c]) {
                    occluded++;
                    e = Math.max(e, occlusionUnits * tex[0]);
                }
                long w = 1 + (objects != null && objects[c] ? objectWeight : 0);
                num += w * e;
                weights += w;
            }
        }
        return new Error(num, weights * tex[0], entering, occluded);
    }
}
