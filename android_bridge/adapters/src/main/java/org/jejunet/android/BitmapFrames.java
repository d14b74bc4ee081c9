package org.jejunet.android;

import android.graphics.Bitmap;
import java.nio.ByteBuffer;
import org.jejunet.core.Image;

/** Between Android pixels (Bitmap, Camera2's YUV_420_888) and the core's ARGB frames. */
public final class BitmapFrames {
    private BitmapFrames() {
    }

    public static Image fromBitmap(Bitmap bitmap) {
        int w = bitmap.getWidth();
        int h = bitmap.getHeight();
        int[] argb = new int[w * h];
        bitmap.getPixels(argb, 0, w, 0, 0, w, h);
        return new Image(w, h, argb);
    }

    /** Copies a frame into a mutable ARGB_8888 bitmap of the same size (reused between frames). */
    public static Bitmap toBitmap(Image image, Bitmap reuse) {
        Bitmap out = reuse;
        if (out == null || out.getWidth() != image.width || out.getHeight() != image.height) {
            out = Bitmap.createBitmap(image.width, image.height, Bitmap.Config.ARGB_8888);
        }
        out.setPixels(image.argb, 0, image.width, 0, 0, image.width, image.height);
        return out;
    }

    /** A YUV_420_888 camera image → ARGB (BT.601 full range, integer arithmetic). */
    public static Image fromYuv(android.media.Image yuv) {
        int w = yuv.getWidth();
        int h = yuv.getHeight();
        android.media.Image.Plane[] planes = yuv.getPlanes();
        ByteBuffer y = planes[0].getBuffer();
        ByteBuffer u = planes[1].getBuffer();
        ByteBuffer v = planes[2].getBuffer();
        int yRow = planes[0].getRowStride();
        int uvRow = planes[1].getRowStride();
        int uvPixel = planes[1].getPixelStride();
        int[] argb = new int[w * h];
        for (int row = 0; row < h; row++) {
            for (int col = 0; col < w; col++) {
                int luma = y.get(row * yRow + col) & 0xFF;
                int uvIndex = (row / 2) * uvRow + (col / 2) * uvPixel;
                int cb = (u.get(uvIndex) & 0xFF) - 128;
                int cr = (v.get(uvIndex) & 0xFF) - 128;
                int r = luma + ((359 * cr) >> 8);
                int g = luma - ((88 * cb + 183 * cr) >> 8);
                int b = luma + ((454 * cb) >> 8);
                argb[row * w + col] = Image.pack(clamp(r), clamp(g), clamp(b));
            }
        }
        return new Image(w, h, argb);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : (v > 255 ? 255 : v);
    }
}
