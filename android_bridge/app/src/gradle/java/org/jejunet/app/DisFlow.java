package org.jejunet.app;

import org.jejunet.core.FlowField;
import org.jejunet.core.FrameInfo;
import org.jejunet.core.Image;
import org.jejunet.core.OpticalFlow;
import org.json.JSONObject;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.Size;
import org.opencv.imgproc.Imgproc;
import org.opencv.video.DISOpticalFlow;

/** The optical flow on the phone: OpenCV's DIS, as on the host (Gradle build only; not compiled on CI). */
public final class DisFlow implements OpticalFlow.Factory {
    static {
        org.opencv.android.OpenCVLoader.initLocal();
    }

    @Override
    public OpticalFlow open(JSONObject params) {
        String preset = params.optString("preset", "fast");
        int p = "ultrafast".equals(preset) ? DISOpticalFlow.PRESET_ULTRAFAST
                : "medium".equals(preset) ? DISOpticalFlow.PRESET_MEDIUM : DISOpticalFlow.PRESET_FAST;
        final DISOpticalFlow dis = DISOpticalFlow.create(p);
        final int width = params.isNull("width") ? 0 : params.optInt("width", 0);
        return new OpticalFlow() {
            @Override
            public FlowField compute(Image current, Image previous, FrameInfo info) {
                Mat cur = grey(current, width);
                Mat prev = grey(previous, width);
                Mat flow = new Mat();
                dis.calc(cur, prev, flow);
                if (flow.cols() != current.width) {
                    double sx = (double) current.width / flow.cols();
                    double sy = (double) current.height / flow.rows();
                    Imgproc.resize(flow, flow, new Size(current.width, current.height), 0, 0, Imgproc.INTER_LINEAR);
                    float[] data = new float[current.width * current.height * 2];
                    flow.get(0, 0, data);
                    for (int i = 0; i < data.length; i += 2) {
                        data[i] *= (float) sx;
                        data[i + 1] *= (float) sy;
                    }
                    return new FlowField(current.width, current.height, data);
                }
                float[] data = new float[current.width * current.height * 2];
                flow.get(0, 0, data);
                return new FlowField(current.width, current.height, data);
            }
        };
    }

    static Mat grey(Image image, int width) {
        byte[] g = new byte[image.width * image.height];
        for (int i = 0; i < g.length; i++) {
            int p = image.argb[i];
            int r = (p >> 16) & 0xFF;
            int gr = (p >> 8) & 0xFF;
            int b = p & 0xFF;
            g[i] = (byte) ((r * 4899 + gr * 9617 + b * 1868 + 8192) >> 14);  // cv2.COLOR_BGR2GRAY's fixed point
        }
        Mat mat = new Mat(image.height, image.width, CvType.CV_8UC1);
        mat.put(0, 0, g);
        if (width > 0 && width < image.width) {
            int height = Math.max(1, Math.round(image.height * (float) width / image.width));
            Imgproc.resize(mat, mat, new Size(width, height), 0, 0, Imgproc.INTER_AREA);
        }
        return mat;
    }
}
