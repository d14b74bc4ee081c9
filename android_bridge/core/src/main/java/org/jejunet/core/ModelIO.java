package org.jejunet.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Feeding a model and reading it, as the host's runtime does (pure computation on buffers). */
public final class ModelIO {
    private ModelIO() {
    }

    /** Frame at the model's input size → input tensor 1×H×W×3 RGB, in the model's dtype. */
    public static ByteBuffer preprocess(Image image, ModelSpec spec) {
        if (image.width != spec.inputWidth || image.height != spec.inputHeight) {
            throw new IllegalArgumentException("frame is " + image.width + "×" + image.height + ", the model takes "
                    + spec.inputWidth + "×" + spec.inputHeight + ": put a resize before this node");
        }
        int n = image.argb.length * 3;
        boolean isFloat = "float32".equals(spec.inputDtype);
        ByteBuffer buffer = ByteBuffer.allocateDirect(n * (isFloat ? 4 : 1)).order(ByteOrder.nativeOrder());
        float mean = spec.normalization == null ? 0f : (float) spec.normalization[0];
        float inv = spec.normalization == null ? 1f : (float) (1.0 / spec.normalization[1]);
        for (int p : image.argb) {
            int[] rgb = {(p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF};
            for (int v : rgb) {
                if (spec.normalization == null) {
                    buffer.put((byte) v);
                } else {
                    float real = (v - mean) * inv;
                    if (isFloat) {
                        buffer.putFloat(real);
                    } else {
                        buffer.put((byte) quantize(real, spec));
                    }
                }
            }
        }
        buffer.rewind();
        return buffer;
    }

    private static int quantize(float real, ModelSpec spec) {
        double q = Math.rint(real / spec.inputScale) + spec.inputZero;
        int lo = "int8".equals(spec.inputDtype) ? -128 : 0;
        int hi = "int8".equals(spec.inputDtype) ? 127 : 255;
        return (int) Math.max(lo, Math.min(hi, q));
    }

    /** An output buffer sized for the model's first output. */
    public static ByteBuffer outputBuffer(ModelSpec spec) {
        int bytes = spec.outputElements() * ModelSpec.bytesPerElement(spec.outputDtype);
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    /** Labels, or probabilities (then labels are their argmax), from the raw first output. */
    public static Object[] decode(ByteBuffer raw, ModelSpec spec) {
        raw.rewind();
        int h = spec.inputHeight;
        int w = spec.inputWidth;
        String dtype = spec.outputDtype;
        boolean integer = !"float32".equals(dtype);
        int n = spec.outputElements();
        if (integer && spec.outputScale == 0.0) {
            if (n != h * w) {
                throw new IllegalArgumentException("label output of " + n + " values for a " + h + "×" + w + " input");
            }
            byte[] labels = new byte[n];
            for (int i = 0; i < n; i++) {
                labels[i] = (byte) readInteger(raw, dtype);
            }
            return new Object[] {new LabelMap(w, h, labels), null};
        }
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            if (integer) {
                values[i] = ((float) readInteger(raw, dtype) - spec.outputZero) * (float) spec.outputScale;
            } else {
                values[i] = raw.getFloat();
            }
        }
        int channels = n / (h * w);
        int gh = spec.outputShape.length == 4 ? spec.outputShape[1] : h;
        int gw = spec.outputShape.length == 4 ? spec.outputShape[2] : w;
        Probs probs;
        if (channels == 1) {
            float[] data = new float[gh * gw * 2];
            for (int i = 0; i < gh * gw; i++) {
                float p = Math.max(0f, Math.min(1f, values[i]));
                data[2 * i] = 1.0f - p;
                data[2 * i + 1] = p;
            }
            probs = new Probs(gw, gh, 2, data, new int[] {0, spec.positiveClass});
        } else {
            if ("logits".equals(spec.meaning)) {
                softmax(values, channels);
            }
            int[] ids = new int[channels];
            for (int c = 0; c < channels; c++) {
                ids[c] = c;
            }
            probs = new Probs(gw, gh, channels, values, ids);
        }
        return new Object[] {probs.argmax(), probs};
    }

    private static long readInteger(ByteBuffer raw, String dtype) {
        if ("int64".equals(dtype)) {
            return raw.getLong();
        }
        if ("int32".equals(dtype)) {
            return raw.getInt();
        }
        byte b = raw.get();
        return "uint8".equals(dtype) ? (b & 0xFF) : b;
    }

    private static void softmax(float[] values, int channels) {
        for (int base = 0; base < values.length; base += channels) {
            float max = values[base];
            for (int c = 1; c < channels; c++) {
                max = Math.max(max, values[base + c]);
            }
            float sum = 0f;
            for (int c = 0; c < channels; c++) {
                values[base + c] = (float) Math.exp(values[base + c] - max);
                sum += values[base + c];
            }
            for (int c = 0; c < channels; c++) {
                values[base + c] /= sum;
            }
        }
    }
}
