package org.jejunet.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestReporter;

/**
 * Parity with the host: every operator of every recorded pipeline replays the host's recorded
 * inputs (real bikes.mp4 frames, recorded model outputs and flow fields) and must give the
 * host's outputs: labels identical (or ≥ 99.9 % of pixels), overlays within ±1 per channel.
 */
class ParityTest {
    /** Share of label pixels that may differ: float rounding at exact ties of bilinear weights. */
    static final double LABELS_MIN_SHARE = 0.999;

    interface FrameCheck {
        Compare check(Fixtures fx, String node, int frame, Map<String, Npy> now, Map<String, Npy> before)
                throws Exception;
    }

    @TestFactory
    Stream<DynamicTest> everyOperatorOfEveryRecordedPipeline(TestReporter reporter) throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        List<Path> sets = Fixtures.all();
        assertFalse(sets.isEmpty(), "no fixtures under " + Fixtures.host());
        for (Path dir : sets) {
            Fixtures fx = new Fixtures(dir);
            for (String node : fx.nodesOf("resize")) {
                tests.add(test(fx, node, reporter, ParityTest::resize, c -> c.maxDiff() <= 1));
            }
            for (String node : fx.nodesOf("tflite_infer")) {
                tests.add(test(fx, node, reporter, ParityTest::infer, c -> c.exact() == c.total()));
            }
            for (String node : fx.nodesOf("upsample")) {
                tests.add(test(fx, node, reporter, ParityTest::upsample, c -> c.exactShare() >= LABELS_MIN_SHARE));
            }
            for (String node : fx.nodesOf("keyframe_gate")) {
                tests.add(test(fx, node, reporter, new GateCheck(fx, node), c -> c.exact() == c.total()));
                JSONObject variants = fx.index.optJSONObject("gate_variants");
                JSONArray mine = variants == null ? null : variants.optJSONArray(node);
                for (int k = 0; mine != null && k < mine.length(); k++) {
                    tests.add(gateVariant(fx, node, mine.getJSONObject(k), reporter));
                }
            }
            for (String node : fx.nodesOf("optical_flow")) {
                tests.add(test(fx, node, reporter, new FlowCheck(fx, node), c -> c.exact() == c.total()));
            }
            for (String node : fx.nodesOf("warp")) {
                tests.add(test(fx, node, reporter, new WarpCheck(fx, node), c -> c.exactShare() >= LABELS_MIN_SHARE));
            }
            for (String node : fx.nodesOf("late_result")) {
                tests.add(test(fx, node, reporter, new LateCheck(fx, node), c -> c.exactShare() >= LABELS_MIN_SHARE));
            }
            for (String node : fx.nodesOf("overlay")) {
                tests.add(test(fx, node, reporter, ParityTest::overlay, c -> c.maxDiff() <= 1));
            }
        }
        return tests.stream();
    }

    interface Accept {
        boolean ok(Compare c);
    }

    static DynamicTest test(Fixtures fx, String node, TestReporter reporter, FrameCheck check, Accept accept)
            throws Exception {
        String op = fx.node(node).getString("op");
        return DynamicTest.dynamicTest(fx.pipeline() + ": " + op + " '" + node + "'", () -> {
            Compare total = new Compare(0, 0, 0);
            Map<String, Npy> before = null;
            int calls = 0;
            for (int f = 0; f < fx.frames; f++) {
                Map<String, Npy> now = fx.frame(f);
                if (fx.ran(f).contains(node)) {
                    Compare c = check.check(fx, node, f, now, before);
                    assertTrue(accept.ok(c), fx.pipeline() + " frame " + f + " node " + node + ": " + c);
                    total = total.plus(c);
                    calls++;
                }
                before = now;
            }
            assertTrue(calls > 0, node + " never ran in the fixtures");
            assertTrue(accept.ok(total), node + ": " + total);
            reporter.publishEntry(fx.pipeline() + "." + node, calls + " frames, " + total);
        });
    }

    static Compare resize(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
            throws Exception {
        JSONObject p = fx.node(node).getJSONObject("params");
        Image in = fx.input(node, "image", f, now, before).image();
        Image out = Resize.resize(in, p.getInt("width"), p.getInt("height"), p.getString("mode"),
                p.getString("interpolation"));
        return Compare.image(out, now.get(node + ".image"));
    }

    static Compare infer(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
            throws Exception {
        ModelSpec spec = BundleTest.modelSpec(fx.pipeline(), node);
        Image in = fx.input(node, "image", f, now, before).image();
        ByteBuffer tensor = ModelIO.preprocess(in, spec);
        byte[] java = new byte[tensor.remaining()];
        tensor.get(java);
        Npy hostInput = now.get(node + ".@input");
        byte[] host = hostInput.bytes();
        if (hostInput.dtype().equals("f4")) {  // the runtime's native order is little-endian on both sides
            assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder());
        }
        assertArrayEquals(host, java, "model input tensor of frame " + f);
        Npy raw = now.get(node + ".@output");
        ByteBuffer output = ModelIO.outputBuffer(spec);
        output.put(raw.bytes());
        Object[] decoded = ModelIO.decode(output, spec);
        Compare c = Compare.labels((LabelMap) decoded[0], now.get(node + ".labels"));
        Probs hostProbs = Fixtures.probs(now, node + ".probs");
        if (hostProbs != null) {
            assertArrayEquals(hostProbs.data, ((Probs) decoded[1]).data, 1e-6f, "probabilities of frame " + f);
            assertArrayEquals(hostProbs.classIds, ((Probs) decoded[1]).classIds);
        }
        return c;
    }

    static Compare upsample(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
            throws Exception {
        Npy like = fx.input(node, "like", f, now, before);
        JSONObject probsEdge = fx.edge(node, "probs");
        LabelMap out;
        if (probsEdge != null) {
            Probs probs = Fixtures.probs(probsEdge.getBoolean("previous") ? before : now, probsEdge.getString("from"));
            out = Upsample.probs(probs, like.shape()[1], like.shape()[0]);
        } else {
            LabelMap labels = fx.input(node, "labels", f, now, before).labels();
            out = Upsample.labels(labels, like.shape()[1], like.shape()[0]);
        }
        return Compare.labels(out, now.get(node + ".labels"));
    }

    static Compare overlay(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
            throws Exception {
        JSONObject p = fx.node(node).getJSONObject("params");
        Image image = fx.input(node, "image", f, now, before).image();
        LabelMap labels = fx.input(node, "labels", f, now, before).labels();
        Image out = Overlay.blend(image, labels, p.getDouble("alpha"), p.getBoolean("background"));
        if (p.getBoolean("legend")) {
            return legendFree(out, labels, now.get(node + ".image"));
        }
        return Compare.image(out, now.get(node + ".image"));
    }

    /** The host draws the legend into the image (the phone's view draws it apart): compare outside its box. */
    static Compare legendFree(Image java, LabelMap labels, Npy host) {
        int rows = Overlay.present(labels, 21).length;
        int boxW = 200;
        int boxH = 8 + rows * 18 + 4;
        Image h = host.image();
        for (int y = 0; y < Math.min(boxH, h.height); y++) {
            for (int x = 0; x < Math.min(boxW, h.width); x++) {
                java.argb[y * h.width + x] = h.argb[y * h.width + x];
            }
        }
        return Compare.image(java, host);
    }

    static NodeSpec spec(Fixtures fx, String node) throws Exception {
        return BundleTest.load(BundleTest.bundleDir(fx.pipeline())).byId.get(node);
    }

    static Object value(Map<String, Npy> values, String key) throws Exception {
        if (values == null) {
            return Skipped.SKIPPED;
        }
        Probs probs = Fixtures.probs(values, key);
        if (probs != null) {
            return probs;
        }
        Npy npy = values.get(key);
        if (npy == null) {
            return Skipped.SKIPPED;
        }
        if (npy.shape().length == 3 && npy.shape()[2] == 2 && npy.dtype().equals("f4")) {
            return npy.flow();
        }
        return npy.shape().length == 3 ? npy.image() : npy.labels();
    }

    /** The recorded inputs of a node on a frame, SKIPPED where the host had SKIPPED. */
    static Map<String, Object> inputs(Fixtures fx, String node, Map<String, Npy> now, Map<String, Npy> before)
            throws Exception {
        return inputs(fx, node, -1, now, before);
    }

    /** As above; a delayed edge (delay above 1) reads the recorded frame f - delay (SKIPPED before it). */
    static Map<String, Object> inputs(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
            throws Exception {
        Map<String, Object> in = new java.util.HashMap<>();
        JSONObject edges = fx.node(node).getJSONObject("inputs");
        for (var it = edges.keys(); it.hasNext();) {
            String port = (String) it.next();
            JSONObject edge = edges.getJSONObject(port);
            int delay = edge.optInt("delay", edge.getBoolean("previous") ? 1 : 0);
            Map<String, Npy> source = now;
            if (delay == 1) {
                source = before;
            } else if (delay > 1) {
                assertTrue(f >= 0, "a delayed edge needs the frame index");
                source = f >= delay ? fx.frame(f - delay) : null;
            }
            in.put(port, value(source, edge.getString("from")));
        }
        return in;
    }

    /**
     * The gate with other settings (the host replayed them on the same inputs, fixtures.json's
     * gate_variants): the same keyframes and, on every frame, the same integer prediction error.
     */
    static DynamicTest gateVariant(Fixtures fx, String node, JSONObject variant, TestReporter reporter)
            throws Exception {
        JSONObject params = variant.getJSONObject("params");
        String name = fx.pipeline() + ": keyframe_gate '" + node + "' with occlusion_units "
                + params.optInt("occlusion_units") + ", prediction_threshold " + params.opt("prediction_threshold")
                + ", motion_threshold " + params.opt("motion_threshold");
        return DynamicTest.dynamicTest(name, () -> {
            NodeSpec spec = spec(fx, node);
            for (var it = params.keys(); it.hasNext();) {
                String key = (String) it.next();
                spec.params.put(key, params.get(key));
            }
            KeyframeGateOp op = new KeyframeGateOp(spec);
            java.util.Set<Integer> hostKeys = new java.util.HashSet<>();
            JSONArray keys = variant.getJSONArray("keyframes");
            for (int i = 0; i < keys.length(); i++) {
                hostKeys.add(keys.getInt(i));
            }
            JSONArray errors = variant.getJSONArray("errors");
            Map<String, Npy> before = null;
            int calls = 0;
            int scored = 0;
            for (int f = 0; f < fx.frames; f++) {
                Map<String, Npy> now = fx.frame(f);
                if (fx.ran(f).contains(node)) {
                    Map<String, Object> out = op.process(new FrameInfo(f, f / 25.0), inputs(fx, node, now, before));
                    assertEquals(hostKeys.contains(f), out.get("image") != Skipped.SKIPPED,
                            "keyframe decision on frame " + f + " (java reason " + op.lastReason() + ")");
                    KeyframePrediction.Error e = op.lastError();
                    assertEquals(errors.isNull(calls), e == null, "prediction error computed on frame " + f);
                    if (e != null) {
                        JSONArray host = errors.getJSONArray(calls);
                        assertEquals(host.getLong(0), e.num, "error numerator on frame " + f);
                        assertEquals(host.getLong(1), e.den, "error denominator on frame " + f);
                        scored++;
                    }
                    calls++;
                }
                before = now;
            }
            assertEquals(errors.length(), calls, "frames the gate ran on");
            assertTrue(scored > 0, node + ": no prediction error compared");
            reporter.publishEntry(name, calls + " frames, " + hostKeys.size() + " keyframes, " + scored
                    + " prediction errors identical");
        });
    }

    /** The gate, run over every frame in order: keyframe decisions identical to the host's. */
    static final class GateCheck implements FrameCheck {
        private final KeyframeGateOp op;

        GateCheck(Fixtures fx, String node) throws Exception {
            op = new KeyframeGateOp(spec(fx, node));
        }

        @Override
        public Compare check(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
                throws Exception {
            Map<String, Object> out = op.process(new FrameInfo(f, f / 25.0), inputs(fx, node, now, before));
            boolean javaKey = out.get("image") != Skipped.SKIPPED;
            boolean hostKey = now.containsKey(node + ".image");
            assertEquals(hostKey, javaKey, "keyframe decision on frame " + f + " (java reason " + op.lastReason() + ")");
            boolean javaCut = out.get("cut") != Skipped.SKIPPED;
            assertEquals(now.containsKey(node + ".cut"), javaCut, "scene-cut mark on frame " + f);
            return new Compare(1, javaKey == hostKey ? 1 : 0, 0);
        }
    }

    /** The flow node with the host's flow lent as the estimator: zeros on the first frame, then the flow. */
    static final class FlowCheck implements FrameCheck {
        private final FlowOp op;
        private Map<String, Npy> current;

        FlowCheck(Fixtures fx, String node) throws Exception {
            op = new FlowOp(spec(fx, node), params -> (cur, prev, info) -> current.get(node + ".flow").flow());
        }

        @Override
        public Compare check(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
                throws Exception {
            current = now;
            FlowField java = (FlowField) op.process(new FrameInfo(f, f / 25.0), inputs(fx, node, now, before)).get("flow");
            float[] host = now.get(node + ".flow").floats();
            assertArrayEquals(host, java.data, "flow of frame " + f);
            return new Compare(1, 1, 0);
        }
    }

    /** late_result on the host's recorded inputs (the network's labels of frame f - delay, the flows). */
    static final class LateCheck implements FrameCheck {
        private final LateResultOp op;

        LateCheck(Fixtures fx, String node) throws Exception {
            op = new LateResultOp(spec(fx, node));
        }

        @Override
        public Compare check(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
                throws Exception {
            Map<String, Object> out = op.process(new FrameInfo(f, f / 25.0), inputs(fx, node, f, now, before));
            Npy host = now.get(node + ".labels");
            if (host == null) {
                assertEquals(Skipped.SKIPPED, out.get("labels"), "host had SKIPPED on frame " + f);
                return new Compare(0, 0, 0);
            }
            return Compare.labels((LabelMap) out.get("labels"), host);
        }
    }

    /** Warp on the host's recorded inputs (fresh labels, its own previous output, the flow). */
    static final class WarpCheck implements FrameCheck {
        private final WarpOp op;

        WarpCheck(Fixtures fx, String node) throws Exception {
            op = new WarpOp(spec(fx, node));
        }

        @Override
        public Compare check(Fixtures fx, String node, int f, Map<String, Npy> now, Map<String, Npy> before)
                throws Exception {
            Map<String, Object> out = op.process(new FrameInfo(f, f / 25.0), inputs(fx, node, now, before));
            Npy host = now.get(node + ".labels");
            if (host == null) {
                assertEquals(Skipped.SKIPPED, out.get("labels"), "host had SKIPPED on frame " + f);
                return new Compare(0, 0, 0);
            }
            return Compare.labels((LabelMap) out.get("labels"), host);
        }
    }
}
