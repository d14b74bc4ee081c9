package org.jejunet.core;

/**
 * The keyframe decision, ported from the host's keyframe_gate: integer grey thumbnails (motion)
 * and integer colour histograms (scene cuts), so that both sides decide identically.
 */
public final class KeyframeGate {
    static final int HIST_SHIFT = 5;
    static final int HIST_GRID = 2;
    static final int HIST_STEP = 2;

    /** Parameters, as graph.json holds them (null: the policy is off). */
    public static final class Params {
        public Integer interval;
        public Double motionThreshold = 8.0;
        public Double objectMotionThreshold;
        public boolean sceneCut = true;
        public double cutThreshold = 0.3;
        public Double targetFps;
        public int maxGap = 30;
        public int thumbSize = 32;
        public Double predictionThreshold;
        public int predictSize = 64;
        public int objectWeight = 3;
        public int occlusionUnits;
    }

    /** What the gate remembers between frames. */
    public static final class State {
        int index = -1;
        int lastKey = -1;
        int[] keyThumb;
        long[][] prevHist;
        boolean[] objects;
        int[] keyGrid;
        long[] displacement;
        long[] keyTexture;
        boolean[] predObjects;
    }

    private KeyframeGate() {
    }

    static int grey(int argb) {
        int r = (argb >> 16) & 0xFF;
        int g = (argb >> 8) & 0xFF;
        int b = argb & 0xFF;
        return (29 * b + 150 * g + 77 * r + 128) >> 8;
    }

    /** Pixel stride that leaves at least two samples per cell along the shorter side. */
    static int sampleStep(Image image, int cells) {
        return Math.max(1, Math.min(image.width, image.height) / (2 * cells));
    }

    /** size×size block means (floor) of the integer grey image, on every sampleStep-th pixel. */
    public static int[] greyThumbnail(Image image, int size) {
        int step = sampleStep(image, size);
        int h = (image.height + step - 1) / step;
        int w = (image.width + step - 1) / step;
        int[] ys = new int[size + 1];
        int[] xs = new int[size + 1];
        for (int i = 0; i < size; i++) {
            ys[i] = (int) ((long) i * h / size);
            xs[i] = (int) ((long) i * w / size);
        }
        ys[size] = h;
        xs[size] = w;
        long[] sums = new long[size * size];
        int[] rowBlock = new int[h];
        int[] colBlock = new int[w];
        fillBlocks(ys, rowBlock, size);
        fillBlocks(xs, colBlock, size);
        for (int y = 0; y < h; y++) {
            int by = rowBlock[y] * size;
            for (int x = 0; x < w; x++) {
                sums[by + colBlock[x]] += grey(image.argb[y * step * image.width + x * step]);
            }
        }
        int[] out = new int[size * size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                long area = (long) (ys[i + 1] - ys[i]) * (xs[j + 1] - xs[j]);
                out[i * size + j] = area == 0 ? 0 : (int) (sums[i * size + j] / area);
            }
        }
        return out;
    }

    /** Block of each pixel along an axis; empty blocks (more blocks than pixels) get none. */
    private static void fillBlocks(int[] starts, int[] block, int size) {
        for (int i = 0; i < size; i++) {
            for (int p = starts[i]; p < starts[i + 1]; p++) {
                block[p] = i;
            }
        }
    }

    /** grid²×512 colour histograms of the frame's grid cells (5-bit shift), on every HIST_STEP-th pixel. */
    public static long[][] colourHistograms(Image image) {
        int levels = 8 - HIST_SHIFT;
        int bins = 1 << (3 * levels);
        long[][] cells = new long[HIST_GRID * HIST_GRID][bins];
        int h = (image.height + HIST_STEP - 1) / HIST_STEP;
        int w = (image.width + HIST_STEP - 1) / HIST_STEP;
        for (int i = 0; i < HIST_GRID; i++) {
            for (int j = 0; j < HIST_GRID; j++) {
                long[] hist = cells[i * HIST_GRID + j];
                for (int y = i * h / HIST_GRID; y < (i + 1) * h / HIST_GRID; y++) {
                    for (int x = j * w / HIST_GRID; x < (j + 1) * w / HIST_GRID; x++) {
                        int p = image.argb[y * HIST_STEP * image.width + x * HIST_STEP];
                        int r = ((p >> 16) & 0xFF) >> HIST_SHIFT;
                        int g = ((p >> 8) & 0xFF) >> HIST_SHIFT;
                        int b = (p & 0xFF) >> HIST_SHIFT;
                        hist[(b << (2 * levels)) | (g << levels) | r]++;
                    }
                }
            }
        }
        return cells;
    }

    /** Mean over cells of the total-variation distance (0: same colours, 1: disjoint). */
    public static double histogramDistance(long[][] a, long[][] b) {
        double total = 0;
        for (int c = 0; c < a.length; c++) {
            long diff = 0;
            long sum = 0;
            for (int k = 0; k < a[c].length; k++) {
                diff += Math.abs(a[c][k] - b[c][k]);
                sum += a[c][k];
            }
            total += diff / (2.0 * sum);
        }
        return total / a.length;
    }

    /** Mean absolute grey difference between two thumbnails (0–255). */
    public static double motionScore(int[] thumb, int[] keyThumb) {
        long sum = 0;
        for (int i = 0; i < thumb.length; i++) {
            sum += Math.abs(thumb[i] - keyThumb[i]);
        }
        return (double) sum / thumb.length;
    }

    /** size×size: thumbnail cells holding a non-zero label, and their eight neighbours (the host's object_cells). */
    public static boolean[] objectCells(LabelMap labels, int size) {
        boolean[] cells = new boolean[size * size];
        for (int i = 0; i < size; i++) {
            int y0 = (int) ((long) i * labels.height / size);
            // an empty block (labels smaller than the thumbnail) takes its first row, as numpy's reduceat does
            int y1 = Math.max((int) ((long) (i + 1) * labels.height / size), y0 + 1);
            for (int j = 0; j < size; j++) {
                int x0 = (int) ((long) j * labels.width / size);
                int x1 = Math.max((int) ((long) (j + 1) * labels.width / size), x0 + 1);
                cells[i * size + j] = anyLabel(labels, y0, y1, x0, x1);
            }
        }
        boolean[] grown = new boolean[size * size];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                grown[i * size + j] = nearObject(cells, size, i, j);
            }
        }
        return grown;
    }

    /** Cell (i, j) or one of its eight neighbours holds an object. */
    private static boolean nearObject(boolean[] cells, int size, int i, int j) {
        for (int y = Math.max(0, i - 1); y <= Math.min(size - 1, i + 1); y++) {
            for (int x = Math.max(0, j - 1); x <= Math.min(size - 1, j + 1); x++) {
                if (cells[y * size + x]) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean anyLabel(LabelMap labels, int y0, int y1, int x0, int x1) {
        for (int y = y0; y < y1; y++) {
            for (int x = x0; x < x1; x++) {
                if (labels.labels[y * labels.width + x] != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Absolute grey difference summed over the object cells, divided by all cells (0–255). */
    public static double objectMotionScore(int[] thumb, int[] keyThumb, boolean[] objects) {
        long sum = 0;
        for (int i = 0; i < thumb.length; i++) {
            if (objects[i]) {
                sum += Math.abs(thumb[i] - keyThumb[i]);
            }
        }
        return (double) sum / thumb.length;
    }

    /** The reason this frame is a keyframe, or null; `budgetOk` null when there is no budget. */
    public static String decide(Params p, State s, int[] thumb, long[][] hist, Boolean budgetOk) {
        return decide(p, s, thumb, hist, budgetOk, null);
    }

    /**
     * As above, with the carried keyframe's prediction error (null before the first keyframe or when off);
     * `thumb` may be null when no thumbnail policy (motion, object motion) is on, `hist` when cuts are off.
     */
    public static String decide(Params p, State s, int[] thumb, long[][] hist, Boolean budgetOk,
            KeyframePrediction.Error error) {
        if (s.lastKey < 0) {
            return "first";
        }
        if (p.sceneCut && hist != null && s.prevHist != null && histogramDistance(hist, s.prevHist) > p.cutThreshold) {
            return "cut";
        }
        int gap = s.index - s.lastKey;
        if (gap >= p.maxGap) {
            return "max_gap";
        }
        if (budgetOk != null && !budgetOk) {
            return null;
        }
        if (p.interval != null && gap >= p.interval) {
            return "interval";
        }
        if (p.motionThreshold != null && motionScore(thumb, s.keyThumb) > p.motionThreshold) {
            return "motion";
        }
        if (p.objectMotionThreshold != null && s.objects != null
                && objectMotionScore(thumb, s.keyThumb, s.objects) > p.objectMotionThreshold) {
            return "object_motion";
        }
        if (p.predictionThreshold != null && error != null && error.exceeds(p.predictionThreshold)) {
            return "prediction";
        }
        if (budgetOk != null) {
            return "budget";
        }
        return null;
    }
}
