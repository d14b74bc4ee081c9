package org.jejunet.android;

import android.content.Context;
import android.graphics.ImageFormat;
import android.hardware.camera2.CameraAccessException;
import android.hardware.camera2.CameraCaptureSession;
import android.hardware.camera2.CameraCharacteristics;
import android.hardware.camera2.CameraDevice;
import android.hardware.camera2.CameraManager;
import android.hardware.camera2.CaptureRequest;
import android.media.ImageReader;
import android.os.Handler;
import android.os.HandlerThread;
import java.util.Collections;
import org.jejunet.core.Image;
import org.jejunet.core.Threads;

/**
 * Camera2 frames (back camera, YUV_420_888 through an ImageReader) delivered as ARGB on a
 * background thread: that thread is the frame path. It takes the newest frame when it is free
 * (`acquireLatestImage`; the reader drops older ones), so the frame path runs at the camera's
 * rate as long as a frame costs less than the camera's period.
 */
public final class CameraFrames {
    /** Receives every frame that the pipeline keeps up with (the reader drops the rest). */
    public interface Listener {
        void onFrame(Image frame, long timestampNs);

        void onError(String message);
    }

    private final CameraManager manager;
    private final int width;
    private final int height;
    private final Listener listener;
    private HandlerThread thread;
    private Handler handler;
    private ImageReader reader;
    private CameraDevice device;

    public CameraFrames(Context context, int width, int height, Listener listener) {
        this.manager = (CameraManager) context.getSystemService(Context.CAMERA_SERVICE);
        this.width = width;
        this.height = height;
        this.listener = listener;
    }

    /** Opens the back camera; the app must hold the CAMERA permission. */
    public void start() throws CameraAccessException {
        thread = new HandlerThread("jejunet-camera");
        thread.start();
        handler = new Handler(thread.getLooper());
        reader = ImageReader.newInstance(width, height, ImageFormat.YUV_420_888, 2);
        reader.setOnImageAvailableListener(new ImageReader.OnImageAvailableListener() {
            @Override
            public void onImageAvailable(ImageReader r) {
                android.media.Image image = r.acquireLatestImage();
                if (image == null) {
                    return;
                }
                try {
                    listener.onFrame(BitmapFrames.fromYuv(image), image.getTimestamp());
                } finally {
                    image.close();
                }
            }
        }, handler);
        String id = backCamera();
        try {
            manager.openCamera(id, new CameraDevice.StateCallback() {
                @Override
                public void onOpened(CameraDevice camera) {
                    device = camera;
                    startSession();
                }

                @Override
                public void onDisconnected(CameraDevice camera) {
                    camera.close();
                }

                @Override
                public void onError(CameraDevice camera, int error) {
                    camera.close();
                    listener.onError("camera error " + error);
                }
            }, handler);
        } catch (SecurityException e) {
            listener.onError("no permission to use the camera");
        }
    }

    private String backCamera() throws CameraAccessException {
        for (String id : manager.getCameraIdList()) {
            Integer facing = manager.getCameraCharacteristics(id).get(CameraCharacteristics.LENS_FACING);
            if (facing != null && facing == CameraCharacteristics.LENS_FACING_BACK) {
                return id;
            }
        }
        return manager.getCameraIdList()[0];
    }

    private void startSession() {
        try {
            final CaptureRequest.Builder request = device.createCaptureRequest(CameraDevice.TEMPLATE_PREVIEW);
            request.addTarget(reader.getSurface());
            device.createCaptureSession(Collections.singletonList(reader.getSurface()),
                    new CameraCaptureSession.StateCallback() {
                        @Override
                        public void onConfigured(CameraCaptureSession session) {
                            try {
                                session.setRepeatingRequest(request.build(), null, handler);
                            } catch (CameraAccessException e) {
                                listener.onError("camera: " + e.getMessage());
                            }
                        }

                        @Override
                        public void onConfigureFailed(CameraCaptureSession session) {
                            listener.onError("camera session could not be configured");
                        }
                    }, handler);
        } catch (CameraAccessException e) {
            listener.onError("camera: " + e.getMessage());
        }
    }

    /**
     * Stops the frames: first the camera thread (the frame path) finishes the frame in progress and
     * ends, then the camera is closed, then the reader. ImageReader.close() makes the planes'
     * buffers of an Image still being read undefined, so it must come after the join; and the
     * join makes the device written by onOpened (on the camera thread) visible here. Call it from
     * another thread than the camera's (the activity's onPause).
     */
    public void stop() {
        if (thread != null) {
            thread.quitSafely(); // messages already due run (a frame in progress ends), later ones are dropped
            Threads.joinUninterruptibly(thread);
            thread = null;
            handler = null;
        }
        if (device != null) {
            device.close(); // no callback can run any more: the camera thread has ended
            device = null;
        }
        if (reader != null) {
            reader.close(); // images the camera filled since are released unread
            reader = null;
        }
    }
}
