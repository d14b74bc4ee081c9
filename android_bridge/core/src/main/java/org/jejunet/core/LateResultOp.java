package org.jejunet.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.json.JSONException;

/**
 * late_result, as on the host: the result of an earlier frame (a delayed edge), carried to this
 * frame by the flows of the frames in between composed into one displacement (kept and composed
 * `flow_width` wide, resized once to the result's size); SKIPPED on frames
 * no result arrives on; background labels before the first and on a scene cut (the gate's cut
 * output). How many frames late the result is comes with it (`labels@age`, see GraphRunner.AGE):
 * `delay` in the fixed-delay schedule, whatever the network took in the realtime one; without it
 * (the operator called on its own, as the parity tests do) it is `delay`. Refused (counted, not
 * shown), as on the host: a result older than the `max_age` flows kept, and one from before the
 * last scene cut.
 */
final class LateResultOp extends Operator {
    /** Flows kept when the bundle does not say (`max_age`, the host's default). */
    static final int DEFAULT_MAX_AGE = 64;
    /** Width the flows are kept and composed at when the bundle does not say (`flow_width`, the host's default). */
    static final int DEFAULT_FLOW_WIDTH = 128;
    private final int delay;
    private final int keep;
    /** 0: the flows as they come. */
    private final int flowWidth;
    private final ArrayDeque<FlowField> flows = new ArrayDeque<FlowField>();
    private boolean delivered;
    /** Frames since the last scene cut, -1 before the first. */
    private int sinceCut = -1;
    private int tooOld;
    private int beforeCut;

    LateResultOp(NodeSpec node) throws JSONException {
        super(node);
        delay = node.params.getInt("delay");
        keep = Math.max(delay, node.params.optInt("max_age", DEFAULT_MAX_AGE));
        flowWidth = !node.params.has("flow_width") ? DEFAULT_FLOW_WIDTH
                : node.params.isNull("flow_width") ? 0 : node.params.getInt("flow_width");
    }

    @Override
    public boolean acceptsSkipped(String port) {
        return "labels".equals(port) || "probs".equals(port) || "cut".equals(port);
    }

    /** Results not shown: older than the flows kept (`max_age`), or from before the last cut. */
    int refused() {
        return tooOld + beforeCut;
    }

    /**
     * Displacement from the newest flow's frame back to the frame before the oldest, at (width,
     * height), as the host's compose_flows: composed on the newest flow's own grid (the optical
     * flow's working size; other flows fitted to it), then fitted once to (width, height).
     */
    static FlowField compose(List<FlowField> fields, int width, int height) {
        FlowField last = fields.get(fields.size() - 1);
        int w = last.width;
        int h = last.height;
        float[] total = last.data.clone();
        for (int k = fields.size() - 2; k >= 0; k--) {
            FlowField earlier = Warp.fit(fields.get(k), w, h);
            Probs channels = new Probs(w, h, 2, earlier.data, new int[] {0, 1});
            Probs sampled = Warp.probs(channels, new FlowField(w, h, total));
            for (int i = 0; i < total.length; i++) {
                total[i] += sampled.data[i];
            }
        }
        return Warp.fit(new FlowField(w, h, total), width, height);
    }

    /** The flow `width` wide (height keeps the aspect, rounded half up), as the host's shrink_flow; as it is when not narrower. */
    static FlowField shrink(FlowField flow, int width) {
        if (width <= 0 || width >= flow.width) {
            return flow;
        }
        long h = flow.height;
        int height = (int) Math.max(1, (2 * h * width + flow.width) / (2L * flow.width));
        return Warp.fit(flow, width, height);
    }

    /** The flows of the last `age` frames, oldest first, or null when fewer are kept. */
    private List<FlowField> lastFlows(int age) {
        if (age < 1 || age > flows.size()) {
            return null;
        }
        List<FlowField> out = new ArrayList<FlowField>(age);
        Iterator<FlowField> newestFirst = flows.descendingIterator();
        for (int i = 0; i < age; i++) {
            out.add(0, newestFirst.next());
        }
        return out;
    }

    private int age(Map<String, Object> inputs, String port) {
        Object age = inputs.get(port + GraphRunner.AGE);
        return age instanceof Integer ? ((Integer) age).intValue() : delay;
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        FlowField flow = (FlowField) inputs.get("flow");
        flows.addLast(shrink(flow, flowWidth));
        if (flows.size() > keep) {
            flows.removeFirst();
        }
        boolean cut = inputs.get("cut") instanceof Image;
        sinceCut = cut ? 0 : sinceCut < 0 ? -1 : sinceCut + 1;
        Object probs = inputs.get("probs");
        Object labels = inputs.get("labels");
        List<FlowField> path = null;
        if (probs instanceof Probs || labels instanceof LabelMap) {
            int age = age(inputs, probs instanceof Probs ? "probs" : "labels");
            if (sinceCut >= 0 && age > sinceCut) {
                beforeCut++;
            } else {
                path = lastFlows(age);
                if (path == null) {
                    tooOld++;
                }
            }
        }
        Map<String, Object> out = new HashMap<String, Object>();
        out.put("probs", Skipped.SKIPPED);
        if (path != null && probs instanceof Probs) {
            Probs p = (Probs) probs;
            Probs carried = Warp.probs(p, compose(path, p.width, p.height));
            delivered = true;
            out.put("labels", carried.argmax());
            out.put("probs", carried);
        } else if (path != null) {
            LabelMap l = (LabelMap) labels;
            delivered = true;
            out.put("labels", Warp.labels(l, compose(path, l.width, l.height)));
        } else if (delivered && !cut) {
            out.put("labels", Skipped.SKIPPED);
        } else {
            out.put("labels", new LabelMap(flow.width, flow.height, new byte[flow.width * flow.height]));
        }
        return out;
    }
}
