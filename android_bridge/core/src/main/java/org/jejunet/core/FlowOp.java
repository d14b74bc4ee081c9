package org.jejunet.core;

import java.util.Collections;
import java.util.Map;
import org.json.JSONException;

/** optical_flow: flow from each frame back to the previous one (zeros on the first), estimator lent by the platform. */
final class FlowOp extends Operator {
    private final OpticalFlow flow;
    private Image previous;

    FlowOp(NodeSpec node, OpticalFlow.Factory factory) throws JSONException, BundleException {
        super(node);
        if (factory == null) {
            throw new BundleException("node '" + node.id + "': this build has no optical flow (OpenCV)");
        }
        flow = factory.open(node.params);
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        Image current = (Image) inputs.get("image");
        FlowField out;
        if (previous == null || previous.width != current.width || previous.height != current.height) {
            out = new FlowField(current.width, current.height, new float[current.width * current.height * 2]);
        } else {
            out = flow.compute(current, previous, info);
        }
        previous = current;
        return Collections.<String, Object>singletonMap("flow", out);
    }
}
