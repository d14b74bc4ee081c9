package org.jejunet.core;

/**
 * Dense optical flow between consecutive frames, kept out of the core: OpenCV's DIS on the
 * phone, recorded host flow fields in tests.
 */
public interface OpticalFlow {
    /**
     * Backward flow at the frames' size (H×W×2, same size frames): pixel x of `current` matches
     * pixel x + flow(x) of `previous`, as the host's optical_flow gives it.
     */
    FlowField compute(Image current, Image previous, FrameInfo info);

    /** Makes a flow estimator from the node's parameters (as graph.json holds them). */
    interface Factory {
        OpticalFlow open(org.json.JSONObject params) throws BundleException;
    }
}
