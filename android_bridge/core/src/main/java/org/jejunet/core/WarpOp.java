package org.jejunet.core;

import java.util.HashMap;
import java.util.Map;
import org.json.JSONException;

/** warp: fresh labels/probabilities on keyframes; its own previous result warped by the flow otherwise. */
final class WarpOp extends Operator {
    private final boolean hold;

    WarpOp(NodeSpec node) throws JSONException {
        super(node);
        String method = node.params.getString("method");
        if (!"flow".equals(method) && !"hold".equals(method)) {
            throw new IllegalArgumentException("method '" + method + "' is not supported");
        }
        hold = "hold".equals(method);
        // the compiler allows only fuse 0 (no blending on keyframes); older bundles have no such key
        double fuse = node.params.optDouble("fuse", 0.0);
        if (fuse != 0.0) {
            throw new IllegalArgumentException("fuse " + fuse + " is not supported (only 0)");
        }
    }

    @Override
    public boolean acceptsSkipped() {
        return true;
    }

    private static boolean fresh(Object value) {
        return value != null && value != Skipped.SKIPPED;
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        Map<String, Object> out = new HashMap<String, Object>();
        Object probs = inputs.get("probs");
        Object labels = inputs.get("labels");
        if (fresh(probs)) {
            out.put("labels", ((Probs) probs).argmax());
            out.put("probs", probs);
            return out;
        }
        if (fresh(labels)) {
            out.put("labels", labels);
            return out;
        }
        Object carried = inputs.get("prev_probs") != null ? inputs.get("prev_probs") : inputs.get("prev_labels");
        if (!fresh(carried)) {
            out.put("labels", Skipped.SKIPPED);
            out.put("probs", Skipped.SKIPPED);
            return out;
        }
        Object flow = inputs.get("flow");
        boolean keep = hold || !fresh(flow);
        if (carried instanceof Probs) {
            Probs warped = keep ? (Probs) carried : Warp.probs((Probs) carried, (FlowField) flow);
            out.put("labels", warped.argmax());
            out.put("probs", warped);
        } else {
            out.put("labels", keep ? carried : Warp.labels((LabelMap) carried, (FlowField) flow));
        }
        return out;
    }
}
