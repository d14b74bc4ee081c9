package org.jejunet.core;

/**
 * Dense optical flow between consecutive frames, kept out of the core: OpenCV's DIS on the
 * phone, recorded host flow fields in tests.
 */
public interface OpticalFlow {
    /** Flow from `previous` to `current` (same size), H×W×2. */
    FlowField compute(Image previous, Image current, FrameInfo info);

    /** Makes a flow estimator from the node's parameters (as graph.json holds them). */
    interface Factory {
        OpticalFlow open(org.json.JSONObject params) throws BundleException;
    }
}
