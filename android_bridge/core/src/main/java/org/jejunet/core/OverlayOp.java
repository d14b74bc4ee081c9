package org.jejunet.core;

import java.util.Collections;
import java.util.Map;
import org.json.JSONException;

/** overlay: class colours on the frame; the legend's classes are kept for the view to draw. */
public final class OverlayOp extends Operator {
    private final double alpha;
    private final boolean background;
    public final boolean legend;
    private int[] present = new int[0];

    OverlayOp(NodeSpec node) throws JSONException {
        super(node);
        alpha = node.params.getDouble("alpha");
        background = node.params.getBoolean("background");
        legend = node.params.getBoolean("legend");
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        LabelMap labels = (LabelMap) inputs.get("labels");
        if (legend) {
            present = Overlay.present(labels, 256);
        }
        return Collections.<String, Object>singletonMap("image",
                Overlay.blend((Image) inputs.get("image"), labels, alpha, background));
    }

    /** Classes present on the last frame (for the legend), in increasing order. */
    public int[] presentClasses() {
        return present.clone();
    }
}
