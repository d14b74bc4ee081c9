package org.jejunet.core;

import java.util.Collections;
import java.util.Map;

/** upsample: labels (nearest) or probabilities (bilinear, then argmax) to the frame's size. */
final class UpsampleOp extends Operator {
    UpsampleOp(NodeSpec node) {
        super(node);
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        Image like = (Image) inputs.get("like");
        Object probs = inputs.get("probs");
        LabelMap out = probs != null
                ? Upsample.probs((Probs) probs, like.width, like.height)
                : Upsample.labels((LabelMap) inputs.get("labels"), like.width, like.height);
        return Collections.<String, Object>singletonMap("labels", out);
    }
}
