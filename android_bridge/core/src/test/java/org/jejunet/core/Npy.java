package org.jejunet.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A NumPy .npy array (what the host records): dtype, shape and little-endian data. */
record Npy(String dtype, int[] shape, ByteBuffer data) {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    static Npy parse(byte[] bytes) throws IOException {
        if (bytes.length < 10 || bytes[0] != (byte) 0x93 || bytes[1] != 'N') {
            throw new IOException("not an .npy array");
        }
        int major = bytes[6];
        int headerLen;
        int offset;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            headerLen = b.getShort(8) & 0xFFFF;
            offset = 10;
        } else {
            headerLen = b.getInt(8);
            offset = 12;
        }
        String header = new String(bytes, offset, headerLen, StandardCharsets.ISO_8859_1);
        if (header.contains("'fortran_order': True")) {
            throw new IOException("fortran-order arrays are not supported");
        }
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) {
            throw new IOException("bad .npy header: " + header);
        }
        String[] parts = s.group(1).split(",");
        int n = 0;
        int[] shape = new int[parts.length];
        for (String part : parts) {
            if (!part.isBlank()) {
                shape[n++] = Integer.parseInt(part.trim());
            }
        }
        int[] dims = java.util.Arrays.copyOf(shape, n);
        ByteBuffer data = ByteBuffer.wrap(bytes, offset + headerLen, bytes.length - offset - headerLen).slice()
                .order(ByteOrder.LITTLE_ENDIAN);
        return new Npy(d.group(1).substring(1), dims, data);
    }

    int size() {
        int n = 1;
        for (int v : shape) {
            n *= v;
        }
        return n;
    }

    byte[] bytes() {
        byte[] out = new byte[data.remaining()];
        data.duplicate().get(out);
        return out;
    }

    float[] floats() {
        float[] out = new float[size()];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    int[] ints() {
        int[] out = new int[size()];
        ByteBuffer d = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case "u1" -> d.get() & 0xFF;
                case "i1" -> d.get();
                case "i4" -> d.getInt();
                case "i8" -> (int) d.getLong();
                default -> throw new IllegalStateException("not an integer array: " + dtype);
            };
        }
        return out;
    }

    /** H×W×3 BGR uint8 (the host's frame) → ARGB. */
    Image image() {
        byte[] bgr = bytes();
        int h = shape[0];
        int w = shape[1];
        int[] argb = new int[h * w];
        for (int i = 0; i < argb.length; i++) {
            argb[i] = Image.pack(bgr[3 * i + 2] & 0xFF, bgr[3 * i + 1] & 0xFF, bgr[3 * i] & 0xFF);
        }
        return new Image(w, h, argb);
    }

    LabelMap labels() {
        return new LabelMap(shape[1], shape[0], bytes());
    }

    FlowField flow() {
        return new FlowField(shape[1], shape[0], floats());
    }
}
