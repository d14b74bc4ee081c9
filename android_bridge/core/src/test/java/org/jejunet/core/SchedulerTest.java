package org.jejunet.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;

/** The scheduler's rules on a small graph: gated-off frames flow as SKIPPED, the source's stride drops frames. */
class SchedulerTest {
    static JSONObject node(String id, String op, JSONObject params, String... inputs) throws Exception {
        JSONObject in = new JSONObject();
        for (String edge : inputs) {
            String[] parts = edge.split("=");
            in.put(parts[0], new JSONObject().put("from", parts[1]).put("previous", false));
        }
        JSONObject out = new JSONObject();
        if (!op.equals("display")) {
            out.put("image", new JSONObject().put("kind", "frame.bgr8").put("shape", JSONObject.NULL));
        }
        return new JSONObject().put("id", id).put("op", op).put("host_op", op).put("params", params)
                .put("inputs", in).put("outputs", out);
    }

    static JSONObject everyKth(int k) throws Exception {
        return new JSONObject().put("interval", k).put("motion_threshold", JSONObject.NULL)
                .put("scene_cut", false).put("cut_threshold", 0.3).put("target_fps", JSONObject.NULL)
                .put("max_gap", 30).put("thumb_size", 8);
    }

    static Bundle gateGraph(int stride) throws Exception {
        JSONArray nodes = new JSONArray()
                .put(node("cam", "camera", new JSONObject().put("stride", stride)))
                .put(node("gate", "keyframe_gate", everyKth(3), "image=cam.image"))
                .put(node("show", "display", new JSONObject(), "image=gate.image"));
        JSONObject graph = new JSONObject().put("schema_version", 1).put("capabilities_version", 1)
                .put("name", "t").put("mode", "realtime").put("nodes", nodes)
                .put("order", new JSONArray().put("cam").put("gate").put("show"));
        return Bundle.parse(graph, new HashMap<String, byte[]>());
    }

    /** A gate behind a gate counts only the frames the first one passed (the host does the same). */
    @Test
    void aGateBehindAGateSeesOnlyPassedFrames() throws Exception {
        JSONArray nodes = new JSONArray()
                .put(node("cam", "camera", new JSONObject().put("stride", 1)))
                .put(node("g1", "keyframe_gate", everyKth(2), "image=cam.image"))
                .put(node("g2", "keyframe_gate", everyKth(2), "image=g1.image"))
                .put(node("show", "display", new JSONObject(), "image=g2.image"));
        JSONObject graph = new JSONObject().put("schema_version", 1).put("capabilities_version", 2)
                .put("name", "t").put("mode", "realtime").put("nodes", nodes)
                .put("order", new JSONArray().put("cam").put("g1").put("g2").put("show"));
        List<Integer> shown = new ArrayList<>();
        GraphRunner runner = new GraphRunner(Bundle.parse(graph, new HashMap<String, byte[]>()),
                new Environment(null, null, (info, f) -> shown.add(info.index)));
        for (int i = 0; i < 9; i++) {
            runner.runFrame(new FrameInfo(i, i / 25.0), new Image(16, 16));
        }
        assertEquals(List.of(0, 4, 8), shown);
    }

    @Test
    void gatedOffFramesReachNoDownstreamNode() throws Exception {
        List<Integer> shown = new ArrayList<>();
        GraphRunner runner = new GraphRunner(gateGraph(1), new Environment(null, null, (info, f) -> shown.add(info.index)));
        for (int i = 0; i < 10; i++) {
            Map<String, Object> values = runner.runFrame(new FrameInfo(i, i / 25.0), new Image(16, 16));
            if (i % 3 != 0) {
                assertSame(Skipped.SKIPPED, values.get("gate.image"), "frame " + i);
            }
        }
        assertEquals(List.of(0, 3, 6, 9), shown);
    }

    @Test
    void theSourceStrideDropsFrames() throws Exception {
        GraphRunner runner = new GraphRunner(gateGraph(2), new Environment(null, null, null));
        int ran = 0;
        for (int i = 0; i < 10; i++) {
            if (runner.runFrame(new FrameInfo(i, i / 25.0), new Image(4, 4)) != null) {
                ran++;
            }
        }
        assertEquals(5, ran);
    }
}
