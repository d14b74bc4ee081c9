package org.jejunet.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestReporter;

/**
 * The whole compiled bundle run by the Java scheduler on the recorded camera frames, the model and
 * the flow replaying the host's: the keyframes, labels and overlays of every frame must be the host's.
 */
class GraphReplayTest {
    /** Replays the host's raw model outputs, checking that the runtime fed it the host's input tensor. */
    static final class RecordedModel implements ModelRunner {
        final String node;
        Map<String, Npy> frame;
        int calls;
        int inputMismatches;

        RecordedModel(String node) {
            this.node = node;
        }

        @Override
        public void run(ByteBuffer input, ByteBuffer output) {
            calls++;
            byte[] fed = new byte[input.remaining()];
            input.duplicate().get(fed);
            if (!java.util.Arrays.equals(fed, frame.get(node + ".@input").bytes())) {
                inputMismatches++;
            }
            output.rewind();
            output.put(frame.get(node + ".@output").bytes());
        }

        @Override
        public void close() {
        }
    }

    @TestFactory
    Stream<DynamicTest> everyRecordedPipelineRunsAsOnTheHost(TestReporter reporter) throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path dir : Fixtures.all()) {
            Fixtures fx = new Fixtures(dir);
            tests.add(DynamicTest.dynamicTest(fx.pipeline(), () -> replay(fx, reporter)));
        }
        return tests.stream();
    }

    static void replay(Fixtures fx, TestReporter reporter) throws Exception {
        Bundle bundle = BundleTest.load(BundleTest.bundleDir(fx.pipeline()));
        List<RecordedModel> models = new ArrayList<>();
        Map<String, Npy>[] current = new Map[1];
        List<FrameInfo> shown = new ArrayList<>();
        Environment env = new Environment(
                (model, spec, threads, delegate) -> {
                    String node = bundle.nodes.stream().filter(n -> n.model == spec).findFirst().orElseThrow().id;
                    RecordedModel m = new RecordedModel(node);
                    models.add(m);
                    return m;
                },
                params -> (cur, prev, info) -> current[0].get(flowNode(bundle) + ".flow").flow(),
                (info, frame) -> shown.add(info));
        GraphRunner runner = new GraphRunner(bundle, env);
        String source = bundle.nodes.get(0).id;
        Compare labels = new Compare(0, 0, 0);
        Compare images = new Compare(0, 0, 0);
        int keyframes = 0;
        for (int f = 0; f < fx.frames; f++) {
            Map<String, Npy> now = fx.frame(f);
            current[0] = now;
            for (RecordedModel m : models) {
                m.frame = now;
            }
            Map<String, Object> values = runner.runFrame(new FrameInfo(f, f / 25.0), now.get(source + ".image").image());
            for (NodeSpec node : bundle.nodes) {
                for (String port : node.outputs.keySet()) {
                    String key = node.id + "." + port;
                    Object java = values.get(key);
                    Npy host = now.get(key);
                    boolean hostSkipped = host == null && now.get(key + ".data") == null;
                    if (!"camera".equals(node.op) && !"display".equals(node.op)) {
                        assertEquals(hostSkipped, java == Skipped.SKIPPED, key + " SKIPPED on frame " + f);
                    }
                    if (java instanceof LabelMap) {
                        Compare c = Compare.labels((LabelMap) java, host);
                        assertTrue(c.exactShare() >= ParityTest.LABELS_MIN_SHARE, key + " frame " + f + ": " + c);
                        labels = labels.plus(c);
                    } else if (java instanceof Image && "overlay".equals(node.op)) {
                        Compare c = ((OverlayOp) runner.operator(node.id)).legend
                                ? ParityTest.legendFree((Image) java, (LabelMap) values.get(
                                        node.inputs.get(1).node + "." + node.inputs.get(1).sourcePort), host)
                                : Compare.image((Image) java, host);
                        assertTrue(c.maxDiff() <= 1, key + " frame " + f + ": " + c);
                        images = images.plus(c);
                    }
                }
            }
            if (fx.ran(f).stream().anyMatch(id -> bundle.byId.get(id).model != null)) {
                keyframes++;
            }
        }
        runner.close();
        int calls = models.stream().mapToInt(m -> m.calls).sum();
        int mismatches = models.stream().mapToInt(m -> m.inputMismatches).sum();
        assertEquals(keyframes, calls, "network calls (keyframes)");
        assertEquals(0, mismatches, "model input tensors that differ from the host's");
        assertEquals(fx.frames, shown.size(), "frames shown");
        reporter.publishEntry(fx.pipeline(), fx.frames + " frames, " + calls + " network calls; labels " + labels
                + "; overlay " + images);
    }

    static String flowNode(Bundle bundle) {
        return bundle.nodes.stream().filter(n -> n.op.equals("optical_flow")).findFirst().map(n -> n.id).orElse("");
    }
}
