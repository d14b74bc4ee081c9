package org.jejunet.app;

import android.Manifest;
import android.app.Activity;
import android.content.pm.PackageManager;
import android.graphics.Bitmap;
import org.jejunet.android.AssetBundleFiles;
import org.jejunet.android.BitmapFrames;
import org.jejunet.android.CameraFrames;
import org.jejunet.android.OverlayView;
import org.jejunet.core.Bundle;
import org.jejunet.core.BundleException;
import org.jejunet.core.Environment;
import org.jejunet.core.FrameInfo;
import org.jejunet.core.FrameSink;
import org.jejunet.core.GraphRunner;
import org.jejunet.core.Image;
import org.jejunet.core.ModelRunner;
import org.jejunet.core.NetworkStats;
import org.jejunet.core.NodeSpec;
import org.jejunet.core.OpticalFlow;
import org.jejunet.core.Operator;
import org.jejunet.core.OverlayOp;

/**
 * Runs the bundle in assets/bundle on the back camera and shows the result. The model runtime
 * (LiteRT) and the optical flow (OpenCV) come from the Gradle build's `gradle` source set, found
 * by name; a build without them (the debug APK built by build.sh) says so on screen.
 *
 * <p>Threads: the camera's thread is the frame path (GraphRunner in its realtime schedule: a
 * network whose result reaches the frame path through a delayed edge runs on its own thread and
 * never holds a frame up); the UI thread only draws.
 */
public final class MainActivity extends Activity implements CameraFrames.Listener, FrameSink {
    private static final int CAMERA_REQUEST = 1;
    private OverlayView view;
    private GraphRunner runner;
    private CameraFrames camera;
    private String[] names = new String[0];
    private String overlayNode;
    private String networkNode;
    private int frames;
    private long startNs;

    @Override
    protected void onCreate(android.os.Bundle state) {
        super.onCreate(state);
        view = new OverlayView(this);
        setContentView(view);
        try {
            Bundle bundle = Bundle.load(new AssetBundleFiles(getAssets(), "bundle"));
            for (NodeSpec node : bundle.nodes) {
                if (node.model != null) {
                    names = bundle.labels(node.model);
                }
                if ("overlay".equals(node.op)) {
                    overlayNode = node.id;
                }
            }
            ModelRunner.Factory models = (ModelRunner.Factory) platform("org.jejunet.app.LiteRtModels");
            OpticalFlow.Factory flow = (OpticalFlow.Factory) platform("org.jejunet.app.DisFlow");
            runner = new GraphRunner(bundle, new Environment(models, flow, this), GraphRunner.Schedule.REALTIME);
            networkNode = runner.asynchronousNodes().isEmpty() ? null : runner.asynchronousNodes().iterator().next();
            status(bundle.name + ": waiting for the camera");
        } catch (BundleException e) {
            status("cannot run the bundle: " + e.getMessage());
        }
    }

    private static Object platform(String className) {
        try {
            return Class.forName(className).newInstance();
        } catch (ClassNotFoundException e) {
            return null;
        } catch (InstantiationException e) {
            return null;
        } catch (IllegalAccessException e) {
            return null;
        }
    }

    @Override
    protected void onResume() {
        super.onResume();
        if (runner == null) {
            return;
        }
        if (checkSelfPermission(Manifest.permission.CAMERA) != PackageManager.PERMISSION_GRANTED) {
            requestPermissions(new String[] {Manifest.permission.CAMERA}, CAMERA_REQUEST);
            return;
        }
        startCamera();
    }

    @Override
    public void onRequestPermissionsResult(int request, String[] permissions, int[] results) {
        if (request == CAMERA_REQUEST && results.length > 0 && results[0] == PackageManager.PERMISSION_GRANTED) {
            startCamera();
        } else {
            status("the camera permission is needed");
        }
    }

    private void startCamera() {
        camera = new CameraFrames(this, 640, 480, this);
        try {
            camera.start();
        } catch (android.hardware.camera2.CameraAccessException e) {
            status("camera: " + e.getMessage());
        }
    }

    @Override
    protected void onPause() {
        if (camera != null) {
            camera.stop();
            camera = null;
        }
        super.onPause();
    }

    @Override
    protected void onDestroy() {
        if (runner != null) {
            runner.close();
        }
        super.onDestroy();
    }

    @Override
    public void onFrame(Image frame, long timestampNs) {
        if (startNs == 0) {
            startNs = timestampNs;
        }
        try {
            runner.runFrame(new FrameInfo(frames++, (timestampNs - startNs) / 1e9), frame);
        } catch (IllegalStateException e) { // the network's thread failed, or the runner is closed
            status(e.getMessage());
        }
    }

    @Override
    public void onError(String message) {
        status(message);
    }

    @Override
    public void show(FrameInfo info, Image frame) {
        final Bitmap bitmap = BitmapFrames.toBitmap(frame, null);
        Operator overlay = overlayNode == null ? null : runner.operator(overlayNode);
        final int[] legend = overlay instanceof OverlayOp && ((OverlayOp) overlay).legend
                ? ((OverlayOp) overlay).presentClasses() : new int[0];
        String rate = info.timestamp > 0 ? String.format("%.1f fps", (info.index + 1) / info.timestamp) : "";
        NetworkStats network = networkNode == null ? null : runner.networkStats(networkNode);
        final String text = network == null || network.lastDelayFrames < 0 ? rate
                : rate + String.format(" · network %d frames late, %d keyframes dropped", network.lastDelayFrames,
                        network.dropped);
        runOnUiThread(new Runnable() {
            @Override
            public void run() {
                view.show(bitmap, legend, names, text);
            }
        });
    }

    private void status(final String message) {
        runOnUiThread(new Runnable() {
            @Override
            public void run() {
                view.show(null, new int[0], names, message);
            }
        });
    }
}
