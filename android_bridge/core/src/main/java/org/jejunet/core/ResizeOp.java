package org.jejunet.core;

import java.util.Collections;
import java.util.Map;
import org.json.JSONException;

/** resize: to a fixed size, stretching, or keeping the aspect ratio by cropping or padding. */
final class ResizeOp extends Operator {
    private final int width;
    private final int height;
    private final String mode;
    private final String interpolation;

    ResizeOp(NodeSpec node) throws JSONException {
        super(node);
        width = node.params.getInt("width");
        height = node.params.getInt("height");
        mode = node.params.getString("mode");
        interpolation = node.params.getString("interpolation");
        if (!"nearest".equals(interpolation) && !"linear".equals(interpolation) && !"area".equals(interpolation)) {
            throw new IllegalArgumentException("interpolation '" + interpolation + "' is not supported");
        }
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        Image image = (Image) inputs.get("image");
        return Collections.<String, Object>singletonMap("image", Resize.resize(image, width, height, mode, interpolation));
    }
}
