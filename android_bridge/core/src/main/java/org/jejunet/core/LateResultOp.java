package org.jejunet.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.json.JSONException;

/**
 * late_result, as on the host: the result of frame t - delay (a delayed edge), carried to frame t
 * by the flows of the frames in between composed into one displacement; SKIPPED on frames no
 * result arrives on; background labels before the first and on a scene cut (the gate's cut output).
 */
final class LateResultOp extends Operator {
    private final int delay;
    private final ArrayDeque<FlowField> flows = new ArrayDeque<FlowField>();
    private boolean delivered;

    LateResultOp(NodeSpec node) throws JSONException {
        super(node);
        delay = node.params.getInt("delay");
    }

    @Override
    public boolean acceptsSkipped(String port) {
        return "labels".equals(port) || "probs".equals(port) || "cut".equals(port);
    }

    /** Displacement from the newest flow's frame back to the frame before the oldest (the host's compose_flows). */
    static FlowField compose(List<FlowField> fields, int width, int height) {
        FlowField last = Warp.fit(fields.get(fields.size() - 1), width, height);
        float[] total = last.data.clone();
        for (int k = fields.size() - 2; k >= 0; k--) {
            FlowField earlier = Warp.fit(fields.get(k), width, height);
            Probs channels = new Probs(width, height, 2, earlier.data, new int[] {0, 1});
            Probs sampled = Warp.probs(channels, new FlowField(width, height, total));
            for (int i = 0; i < total.length; i++) {
                total[i] += sampled.data[i];
            }
        }
        return new FlowField(width, height, total);
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        FlowField flow = (FlowField) inputs.get("flow");
        flows.addLast(flow);
        if (flows.size() > delay) {
            flows.removeFirst();
        }
        Object probs = inputs.get("probs");
        Object labels = inputs.get("labels");
        Map<String, Object> out = new HashMap<String, Object>();
        out.put("probs", Skipped.SKIPPED);
        if (probs instanceof Probs) {
            Probs p = (Probs) probs;
            Probs carried = Warp.probs(p, compose(new ArrayList<FlowField>(flows), p.width, p.height));
            delivered = true;
            out.put("labels", carried.argmax());
            out.put("probs", carried);
        } else if (labels instanceof LabelMap) {
            LabelMap l = (LabelMap) labels;
            delivered = true;
            out.put("labels", Warp.labels(l, compose(new ArrayList<FlowField>(flows), l.width, l.height)));
        } else if (delivered && !(inputs.get("cut") instanceof Image)) {
            out.put("labels", Skipped.SKIPPED);
        } else {
            out.put("labels", new LabelMap(flow.width, flow.height, new byte[flow.width * flow.height]));
        }
        return out;
    }
}
