package org.jejunet.core;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.json.JSONException;

/** The runtime's operators by graph.json name, and the parameters each one reads. */
public final class Operators {
    private static final Map<String, List<String>> PARAMS_BY_OP = new HashMap<String, List<String>>();

    static {
        PARAMS_BY_OP.put("camera", Arrays.asList("stride"));
        PARAMS_BY_OP.put("resize", Arrays.asList("width", "height", "mode", "interpolation"));
        // "model" is read as the node's model section (file, labels, input and output encoding)
        PARAMS_BY_OP.put("tflite_infer", Arrays.asList("model", "num_threads", "delegate", "mean", "std"));
        PARAMS_BY_OP.put("upsample", Collections.<String>emptyList());
        PARAMS_BY_OP.put("overlay", Arrays.asList("alpha", "background", "legend"));
        PARAMS_BY_OP.put("display", Collections.<String>emptyList());
        PARAMS_BY_OP.put("keyframe_gate", Arrays.asList("interval", "motion_threshold", "object_motion_threshold",
                "scene_cut", "cut_threshold", "target_fps", "max_gap", "thumb_size", "prediction_threshold",
                "predict_size", "object_weight", "occlusion_units"));
        PARAMS_BY_OP.put("optical_flow", Arrays.asList("preset", "width"));
        PARAMS_BY_OP.put("warp", Arrays.asList("method", "fuse"));
        PARAMS_BY_OP.put("late_result", Arrays.asList("delay", "max_age", "flow_width"));
    }

    /** Every operator this runtime can run. */
    public static final Set<String> NAMES = Collections.unmodifiableSet(new LinkedHashSet<String>(
            Arrays.asList("camera", "resize", "tflite_infer", "upsample", "overlay", "display", "keyframe_gate",
                    "optical_flow", "warp", "late_result")));

    private Operators() {
    }

    /** The parameters an operator reads (the capability list must allow no others). */
    public static List<String> params(String op) {
        List<String> params = PARAMS_BY_OP.get(op);
        return params == null ? Collections.<String>emptyList() : params;
    }

    /** A new operator for a node of a verified bundle. */
    public static Operator create(NodeSpec node, Bundle bundle, Environment env) throws BundleException {
        try {
            if ("resize".equals(node.op)) {
                return new ResizeOp(node);
            }
            if ("tflite_infer".equals(node.op)) {
                return new InferOp(node, bundle, env.models);
            }
            if ("upsample".equals(node.op)) {
                return new UpsampleOp(node);
            }
            if ("overlay".equals(node.op)) {
                return new OverlayOp(node);
            }
            if ("keyframe_gate".equals(node.op)) {
                return new KeyframeGateOp(node);
            }
            if ("optical_flow".equals(node.op)) {
                return new FlowOp(node, env.flow);
            }
            if ("warp".equals(node.op)) {
                return new WarpOp(node);
            }
            if ("late_result".equals(node.op)) {
                return new LateResultOp(node);
            }
            if ("display".equals(node.op)) {
                return new DisplayOp(node, env.sink);
            }
        } catch (JSONException e) {
            throw new BundleException("node '" + node.id + "': " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new BundleException("node '" + node.id + "': " + e.getMessage(), e);
        }
        throw new BundleException("node '" + node.id + "': op '" + node.op + "' has no implementation here");
    }
}
