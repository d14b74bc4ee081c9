package org.jejunet.core;

import java.util.HashMap;
import java.util.Map;
import org.json.JSONException;
import org.json.JSONObject;

/** keyframe_gate: the frame on keyframes (and on cut keyframes as "cut"), SKIPPED otherwise (decisions identical to the host's). */
public final class KeyframeGateOp extends Operator {
    private final KeyframeGate.Params params = new KeyframeGate.Params();
    private final KeyframeGate.State state = new KeyframeGate.State();
    private final Budget budget;
    private String lastReason;
    private KeyframePrediction.Error lastError;

    KeyframeGateOp(NodeSpec node) throws JSONException {
        super(node);
        JSONObject p = node.params;
        params.interval = p.isNull("interval") ? null : Integer.valueOf(p.getInt("interval"));
        params.motionThreshold = p.isNull("motion_threshold") ? null : Double.valueOf(p.getDouble("motion_threshold"));
        params.objectMotionThreshold = p.isNull("object_motion_threshold") ? null
                : Double.valueOf(p.getDouble("object_motion_threshold"));
        params.sceneCut = p.getBoolean("scene_cut");
        params.cutThreshold = p.getDouble("cut_threshold");
        params.targetFps = p.isNull("target_fps") ? null : Double.valueOf(p.getDouble("target_fps"));
        params.maxGap = p.getInt("max_gap");
        params.thumbSize = p.getInt("thumb_size");
        params.predictionThreshold = p.isNull("prediction_threshold") ? null
                : Double.valueOf(p.getDouble("prediction_threshold"));
        params.predictSize = p.optInt("predict_size", params.predictSize);
        params.objectWeight = p.optInt("object_weight", params.objectWeight);
        params.occlusionUnits = p.optInt("occlusion_units", params.occlusionUnits);
        budget = params.targetFps == null ? null : new Budget(params.targetFps);
    }

    /** The labels input (a feedback edge) carries SKIPPED on the first frame and between keyframes. */
    @Override
    public boolean acceptsSkipped(String port) {
        return "labels".equals(port);
    }

    @Override
    public Map<String, Object> process(FrameInfo info, Map<String, Object> inputs) {
        Image image = (Image) inputs.get("image");
        state.index++;
        Object labels = inputs.get("labels");
        if (params.objectMotionThreshold != null && labels instanceof LabelMap) {
            state.objects = KeyframeGate.objectCells((LabelMap) labels, params.thumbSize);  // the latest labels seen
        }
        boolean thumbs = params.motionThreshold != null || params.objectMotionThreshold != null;
        int[] thumb = thumbs ? KeyframeGate.greyThumbnail(image, params.thumbSize) : null;  // thumbnail policies only
        long[][] hist = params.sceneCut ? KeyframeGate.colourHistograms(image) : null;
        Boolean budgetOk = budget == null ? null : Boolean.valueOf(budget.allows());
        int[] grid = null;
        KeyframePrediction.Error error = null;
        if (params.predictionThreshold != null) {
            grid = KeyframeGate.greyThumbnail(image, params.predictSize);
            error = prediction(grid, labels, inputs.get("flow"));
        }
        String reason = KeyframeGate.decide(params, state, thumb, hist, budgetOk, error);
        lastError = error;
        state.prevHist = hist;
        if (budget != null) {
            budget.record(reason != null);
        }
        lastReason = reason;
        Map<String, Object> out = new HashMap<String, Object>();
        if (reason == null) {
            out.put("image", Skipped.SKIPPED);
            out.put("cut", Skipped.SKIPPED);
            return out;
        }
        state.lastKey = state.index;
        state.keyThumb = thumb;
        if (grid != null) {
            state.keyGrid = grid;
            state.displacement = new long[grid.length * 2];
            state.keyTexture = KeyframePrediction.texture(grid, params.predictSize);  // kept until the next keyframe
        }
        out.put("image", image);
        out.put("cut", "cut".equals(reason) ? image : Skipped.SKIPPED);
        return out;
    }

    /** The carried keyframe's error on this frame's grid (null before the first keyframe); composes the flow. */
    private KeyframePrediction.Error prediction(int[] grid, Object labels, Object flow) {
        int size = params.predictSize;
        if (params.objectWeight != 0 && labels instanceof LabelMap) {
            state.predObjects = KeyframeGate.objectCells((LabelMap) labels, size);
        }
        if (state.keyGrid == null || state.displacement == null) {
            return null;
        }
        if (flow instanceof FlowField) {
            state.displacement = KeyframePrediction.compose(state.displacement,
                    KeyframePrediction.flowOnGrid((FlowField) flow, size), size);
        }
        return KeyframePrediction.error(state.keyGrid, state.displacement, grid, state.predObjects,
                params.objectWeight, size, state.keyTexture, params.occlusionUnits);
    }

    /** The carried keyframe's prediction error on the last frame (null when none was computed). */
    public KeyframePrediction.Error lastError() {
        return lastError;
    }

    /** Why the last frame was a keyframe ("first", "cut", "max_gap", "interval", "motion", "object_motion", "prediction", "budget"), or null. */
    public String lastReason() {
        return lastReason;
    }

    /** Time budget for a target frame rate: learns what a keyframe and a carried frame cost. */
    static final class Budget {
        private final double period;
        private long start = -1;
        private long last = -1;
        private int frames;
        private final double[] cost = new double[2];
        private boolean lastWasKey;

        Budget(double targetFps) {
            period = 1.0 / targetFps;
        }

        boolean allows() {
            long now = System.nanoTime();
            if (start < 0) {
                start = now;
            } else if (last >= 0) {
                double dt = (now - last) / 1e9;
                int k = lastWasKey ? 1 : 0;
                cost[k] = cost[k] == 0.0 ? dt : 0.8 * cost[k] + 0.2 * dt;
            }
            last = now;
            double slack = (frames + 1) * period - (now - start) / 1e9;
            frames++;
            return slack >= cost[1];
        }

        void record(boolean keyframe) {
            lastWasKey = keyframe;
        }
    }
}
