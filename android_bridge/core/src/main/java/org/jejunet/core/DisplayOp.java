package org.jejunet.core;

import java.util.Collections;
import java.util.Map;

/** display: the phone's sink; frames go to the screen (the host writes a video instead). */
final class DisplayOp extends Operator {
    private final FrameSink sink;

    DisplayOp(NodeSpec node, FrameSink sink) {
        super(node);
        this.sink = sink;
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        if (sink != null) {
            sink.show(info, (Image) inputs.get("image"));
        }
        return Collections.<String, Object>emptyMap();
    }
}
