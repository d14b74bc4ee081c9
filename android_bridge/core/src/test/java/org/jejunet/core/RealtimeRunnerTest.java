package org.jejunet.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The realtime schedule: the network node of `keyframe_async` runs on its own thread while the
 * frame path goes on. The model is the host's recorded raw output (LiteRT does not run in this
 * JVM), fed through the real InferOp, held inside `run()` until the test releases it, so the
 * test decides when a call finishes; the frames, flows and every other operator are the real
 * ones on the recorded bikes.mp4 frames.
 */
@Timeout(120)
class RealtimeRunnerTest {
    static final String PIPELINE = "keyframe_async";
    static final long WAIT_S = 20;

    /**
     * A model call the test holds: it names the frame whose tensor it was fed (by the exact bytes
     * of every frame's `resize.image` preprocessed) and answers with that frame's recorded output.
     */
    static final class HeldModel implements ModelRunner {
        final Map<ByteBuffer, Integer> frameOf = new HashMap<>();
        final Map<Integer, byte[]> outputs = new HashMap<>();
        byte[] fallback;
        final Semaphore entered = new Semaphore(0);
        final Semaphore go = new Semaphore(0);
        final List<Integer> fed = Collections.synchronizedList(new ArrayList<>());
        volatile boolean held = true;
        volatile boolean busy;
        volatile int lastFrame = -1;
        volatile Thread runThread;
        volatile Thread closeThread;
        /** Thrown by the next call: a RuntimeException or an Error. */
        volatile Throwable fail;

        @Override
        public void run(ByteBuffer input, ByteBuffer output) {
            runThread = Thread.currentThread();
            byte[] bytes = new byte[input.remaining()];
            input.duplicate().get(bytes);
            Integer frame = frameOf.get(ByteBuffer.wrap(bytes));
            lastFrame = frame == null ? -1 : frame;
            fed.add(lastFrame);
            busy = true;
            entered.release();
            if (held) {
                go.acquireUninterruptibly();
            }
            busy = false;
            if (fail instanceof Error) {
                throw (Error) fail;
            }
            if (fail != null) {
                throw (RuntimeException) fail;
            }
            output.rewind();
            output.put(outputs.getOrDefault(lastFrame, fallback));
        }

        @Override
        public void close() {
            closeThread = Thread.currentThread();
        }
    }

    /** A change to graph.json made before the bundle is parsed. */
    interface GraphEdit {
        void apply(JSONObject graph) throws Exception;
    }

    /** The recorded pipeline, a model that knows every frame's tensor, and the per-frame values. */
    static final class Setup {
        final Fixtures fx;
        final Bundle bundle;
        final NodeSpec network;
        final HeldModel model = new HeldModel();
        final List<Map<String, Npy>> frames = new ArrayList<>();
        volatile Map<String, Npy> current;

        Setup(String pipeline, Map<String, Object> gateParams) throws Exception {
            this(pipeline, gateParams, graph -> { });
        }

        /** As above, with `edit` applied to graph.json before it is parsed. */
        Setup(String pipeline, Map<String, Object> gateParams, GraphEdit edit) throws Exception {
            fx = new Fixtures(Fixtures.host().resolve("fixtures").resolve(pipeline));
            Path dir = BundleTest.bundleDir(pipeline);
            Map<String, byte[]> files = Bundle.verify(new DirectoryFiles(dir.toFile()));
            JSONObject graph = new JSONObject(new String(files.get("graph.json"), "UTF-8"));
            JSONArray nodes = graph.getJSONArray("nodes");
            for (int i = 0; i < nodes.length(); i++) {
                JSONObject node = nodes.getJSONObject(i);
                if (node.getString("op").equals("keyframe_gate")) {
                    for (Map.Entry<String, Object> p : gateParams.entrySet()) {
                        node.getJSONObject("params").put(p.getKey(), p.getValue());
                    }
                }
            }
            edit.apply(graph);
            bundle = Bundle.parse(graph, files);
            network = bundle.nodes.stream().filter(n -> n.model != null).findFirst().orElseThrow();
            NodeSpec.Edge image = imageEdge(network);
            while (bundle.byId.get(image.node).op.equals("keyframe_gate")) {
                image = imageEdge(bundle.byId.get(image.node)); // the gate passes its image through
            }
            String tensorSource = image.node + "." + image.sourcePort;
            for (int f = 0; f < fx.frames; f++) {
                Map<String, Npy> now = fx.frame(f);
                frames.add(now);
                ByteBuffer tensor = ModelIO.preprocess(now.get(tensorSource).image(), network.model);
                byte[] bytes = new byte[tensor.remaining()];
                tensor.duplicate().get(bytes);
                model.frameOf.put(ByteBuffer.wrap(bytes), f);
                Npy out = now.get(network.id + ".@output");
                if (out != null) {
                    model.outputs.put(f, out.bytes());
                    if (model.fallback == null) {
                        model.fallback = out.bytes();
                    }
                }
            }
        }

        static NodeSpec.Edge imageEdge(NodeSpec node) {
            return node.inputs.stream().filter(e -> e.port.equals("image")).findFirst().orElseThrow();
        }

        GraphRunner runner(GraphRunner.Schedule schedule) throws BundleException {
            return runner(schedule, (m, spec, threads, delegate) -> model, params -> recordedFlow());
        }

        /** The runner with another model runtime or flow estimator lent (failures, missing flows). */
        GraphRunner runner(GraphRunner.Schedule schedule, ModelRunner.Factory models, OpticalFlow.Factory flows)
                throws BundleException {
            return new GraphRunner(bundle, new Environment(models, flows, (info, frame) -> { }), schedule);
        }

        /** The host's recorded flow of the frame being run. */
        OpticalFlow recordedFlow() {
            String flowNode = GraphReplayTest.flowNode(bundle);
            return (cur, prev, info) -> current.get(flowNode + ".flow").flow();
        }

        Map<String, Object> run(GraphRunner runner, int f) {
            current = frames.get(f);
            return runner.runFrame(new FrameInfo(f, f / 25.0), frames.get(f).get(bundle.nodes.get(0).id + ".image")
                    .image());
        }

        Set<Integer> hostKeyframes() throws Exception {
            Set<Integer> keys = new TreeSet<>();
            for (int f = 0; f < fx.frames; f++) {
                if (fx.ran(f).contains(network.id)) {
                    keys.add(f);
                }
            }
            return keys;
        }

        LabelMap decode(byte[] output) {
            ByteBuffer raw = ByteBuffer.allocateDirect(output.length).order(java.nio.ByteOrder.nativeOrder());
            raw.put(output);
            return (LabelMap) ModelIO.decode(raw, network.model)[0];
        }

        /** The recorded model output whose labels show the most object pixels (a carried result that can differ). */
        byte[] richestOutput() {
            byte[] best = null;
            int most = -1;
            for (byte[] output : model.outputs.values()) {
                int objects = 0;
                for (byte label : decode(output).labels) {
                    objects += label != 0 ? 1 : 0;
                }
                if (objects > most) {
                    most = objects;
                    best = output;
                }
            }
            assertTrue(most > 0, "no recorded network output shows an object");
            return best;
        }

        String nodeOf(String op) {
            return bundle.nodes.stream().filter(n -> n.op.equals(op)).findFirst().orElseThrow().id;
        }
    }

    /**
     * Realtime, with each network call finishing just before the frame `delay` after its own:
     * the frame path runs the frames in between while the call is held, and every frame's
     * keyframe decision, labels and overlay are the host's offline run (fixed delay) exactly.
     */
    @Test
    void realtimeTimedToTheDelayIsTheHostsOfflineRun() throws Exception {
        Setup s = new Setup(PIPELINE, Map.of());
        String late = s.nodeOf("late_result");
        int delay = s.bundle.byId.get(late).params.getInt("delay");
        Set<Integer> keys = s.hostKeyframes();
        Integer previous = null;
        for (int k : keys) {
            assertTrue(previous == null || k - previous >= delay,
                    "fixture keyframes " + previous + " and " + k + " are closer than the delay; this test holds one call at a time");
            previous = k;
        }
        GraphRunner runner = s.runner(GraphRunner.Schedule.REALTIME);
        assertEquals(Set.of(s.network.id), runner.asynchronousNodes());
        int inFlight = -1;
        int framesWhileBusy = 0;
        for (int f = 0; f < s.fx.frames; f++) {
            final int frame = f;
            Map<String, Object> values;
            if (inFlight >= 0) {
                // the call is held: a frame path that waited for it would never return
                values = assertTimeoutPreemptively(Duration.ofSeconds(WAIT_S), () -> s.run(runner, frame),
                        "frame " + f + " waited for the network");
                assertTrue(s.model.busy, "the network call is still running during frame " + f);
                assertTrue(runner.networkStats(s.network.id).busy);
                framesWhileBusy++;
            } else {
                values = s.run(runner, f);
            }
            compareWithHost(s, runner, values, f);
            if (keys.contains(f)) {
                assertTrue(s.model.entered.tryAcquire(WAIT_S, TimeUnit.SECONDS), "keyframe " + f + " never reached the network");
                assertEquals(f, s.model.lastFrame, "the network was fed another frame's tensor");
                assertNotSame(Thread.currentThread(), s.model.runThread, "the network ran on the frame path");
                inFlight = f;
            }
            if (inFlight >= 0 && f == inFlight + delay - 1) {
                s.model.go.release();
                assertTrue(runner.awaitNetworkIdle(WAIT_S * 1000), "the network call did not finish");
                inFlight = -1;
            }
            NetworkStats stats = runner.networkStats(s.network.id);
            if (f >= delay && keys.contains(f - delay)) {
                assertEquals(f - delay, stats.lastOrigin, "origin of the result delivered on frame " + f);
                assertEquals(delay, stats.lastDelayFrames);
            }
        }
        NetworkStats stats = runner.networkStats(s.network.id);
        long arrived = keys.stream().filter(k -> k + delay < s.fx.frames).count();
        assertEquals(keys.size(), stats.submitted, stats.toString());
        assertEquals(0, stats.dropped, stats.toString());
        assertEquals(arrived, stats.delivered, stats.toString());
        assertEquals(new ArrayList<>(keys), s.model.fed);
        assertTrue(framesWhileBusy >= (delay - 1) * (int) arrived, "frames run while the network worked: " + framesWhileBusy);
        s.model.held = false;
        s.model.go.release(); // a call still held at the end of the clip
        runner.close();
        assertSame(s.model.runThread, s.model.closeThread, "the model was closed on another thread than it ran on");
        assertFalse(s.model.runThread.isAlive(), "close did not join the network thread");
    }

    /** Every value but the network node's (on its own thread in realtime) is the host's on this frame. */
    static void compareWithHost(Setup s, GraphRunner runner, Map<String, Object> values, int f) {
        Map<String, Npy> now = s.frames.get(f);
        for (NodeSpec node : s.bundle.nodes) {
            if (node == s.network || node.op.equals("camera") || node.op.equals("display")) {
                continue;
            }
            for (String port : node.outputs.keySet()) {
                String key = node.id + "." + port;
                Object java = values.get(key);
                Npy host = now.get(key);
                boolean hostSkipped = host == null && now.get(key + ".data") == null;
                assertEquals(hostSkipped, java == Skipped.SKIPPED, key + " SKIPPED on frame " + f);
                if (java instanceof LabelMap) {
                    Compare c = Compare.labels((LabelMap) java, host);
                    assertTrue(c.exactShare() >= ParityTest.LABELS_MIN_SHARE, key + " frame " + f + ": " + c);
                } else if (java instanceof Image && node.op.equals("overlay")) {
                    NodeSpec.Edge labels = node.inputs.get(1);
                    Compare c = ((OverlayOp) runner.operator(node.id)).legend
                            ? ParityTest.legendFree((Image) java, (LabelMap) values.get(labels.node + "." + labels.sourcePort), host)
                            : Compare.image((Image) java, host);
                    assertTrue(c.maxDiff() <= 1, key + " frame " + f + ": " + c);
                }
            }
        }
    }

    /**
     * A keyframe on every frame (the gate's `interval: 1`) while one call is held: each newer
     * keyframe replaces the one waiting (dropped, counted); the call's result arrives on the first
     * frame after it finishes with the frame it belongs to, carried by the flows of every frame since.
     */
    @Test
    void anOlderWaitingKeyframeIsDroppedAndTheResultKeepsItsFrame() throws Exception {
        Setup s = new Setup(PIPELINE, Map.of("interval", 1));
        byte[] answer = s.richestOutput(); // every call answers the recorded output with most object pixels
        s.model.outputs.clear();
        s.model.fallback = answer;
        String late = s.nodeOf("late_result");
        GraphRunner runner = s.runner(GraphRunner.Schedule.REALTIME);
        List<Map<String, Object>> seen = new ArrayList<>();
        seen.add(s.run(runner, 0));
        assertTrue(s.model.entered.tryAcquire(WAIT_S, TimeUnit.SECONDS));
        assertEquals(0, s.model.lastFrame);
        for (int f = 1; f <= 5; f++) {
            final int frame = f;
            seen.add(assertTimeoutPreemptively(Duration.ofSeconds(WAIT_S), () -> s.run(runner, frame)));
        }
        NetworkStats stats = runner.networkStats(s.network.id);
        assertEquals(6, stats.submitted, stats.toString());
        assertEquals(4, stats.dropped, "keyframes 1-4 replaced by the next one while frame 0 ran: " + stats);
        assertEquals(0, stats.completed);
        assertTrue(stats.busy);

        s.model.go.release(); // frame 0's call finishes; the worker takes the newest waiting keyframe, 5
        assertTrue(s.model.entered.tryAcquire(WAIT_S, TimeUnit.SECONDS));
        assertEquals(5, s.model.lastFrame, "the waiting keyframe that ran next");
        Map<String, Object> values = s.run(runner, 6);
        seen.add(values);
        stats = runner.networkStats(s.network.id);
        assertEquals(0, stats.lastOrigin, stats.toString());
        assertEquals(6, stats.lastDelayFrames, stats.toString());
        // what late_result must show: frame 0's labels carried by the flows of frames 1..6
        LabelMap expected = lateReference(s, seen, List.of(0, 1, 2, 3, 4, 5, 6), s.decode(answer), Map.of(6, 6));
        LabelMap shown = (LabelMap) values.get(late + ".labels");
        assertNotNull(shown);
        assertArrayEquals(expected.labels, shown.labels, "frame 0's result carried to frame 6");

        s.model.held = false;
        s.model.go.release(); // frame 5's call finishes; frame 6's keyframe (waiting) runs unheld
        assertTrue(runner.awaitNetworkIdle(WAIT_S * 1000));
        s.run(runner, 7);
        stats = runner.networkStats(s.network.id);
        assertEquals(6, stats.lastOrigin, "the newest finished result is delivered: " + stats);
        assertEquals(1, stats.superseded, "frame 5's result was replaced by frame 6's before frame 7 took it: " + stats);
        runner.close();
        assertFalse(s.model.runThread.isAlive());
    }

    /**
     * What late_result shows on the last of `frames` when a fresh one is called on them with the
     * values the frame path gave it there (`seen`, the runner's) and the network's `result` on the
     * frames of `ages` (frame → how late), on no others: the reference for a realtime delivery (how
     * late_result carries a result is ParityTest's business; here, which arrives when, how late).
     */
    static LabelMap lateReference(Setup s, List<Map<String, Object>> seen, List<Integer> frames, LabelMap result,
            Map<Integer, Integer> ages) throws BundleException {
        NodeSpec node = s.bundle.byId.get(s.nodeOf("late_result"));
        Operator op = Operators.create(node, s.bundle, new Environment(null, null, null));
        Object shown = null;
        assertEquals(frames.size(), seen.size());
        for (int i = 0; i < seen.size(); i++) {
            int f = frames.get(i);
            Map<String, Object> inputs = new HashMap<>();
            for (NodeSpec.Edge edge : node.inputs) {
                Object value = seen.get(i).get(edge.node + "." + edge.sourcePort);
                if (edge.node.equals(s.network.id)) {
                    value = ages.containsKey(f) && edge.sourcePort.equals("labels") ? result : null;
                    if (value != null) {
                        inputs.put(edge.port + GraphRunner.AGE, ages.get(f));
                    }
                }
                inputs.put(edge.port, value == null ? Skipped.SKIPPED : value);
            }
            shown = op.process(new FrameInfo(f, f / 25.0), inputs).get("labels");
        }
        assertTrue(shown instanceof LabelMap, "the reference late_result shows " + shown);
        return (LabelMap) shown;
    }

    /** close() lets the running call finish, drops the waiting keyframe, closes the model on its thread, joins it. */
    @Test
    void closeJoinsTheNetworkThread() throws Exception {
        Setup s = new Setup(PIPELINE, Map.of("interval", 1));
        GraphRunner runner = s.runner(GraphRunner.Schedule.REALTIME);
        s.run(runner, 0);
        assertTrue(s.model.entered.tryAcquire(WAIT_S, TimeUnit.SECONDS));
        s.run(runner, 1); // waits in the mailbox
        Thread closer = new Thread(runner::close, "closer");
        closer.start();
        closer.join(300);
        assertTrue(closer.isAlive(), "close returned while the network call was still running");
        s.model.go.release();
        closer.join(WAIT_S * 1000);
        assertFalse(closer.isAlive(), "close did not return after the call finished");
        Thread network = s.model.runThread;
        assertFalse(network.isAlive(), "the network thread still runs after close");
        assertSame(network, s.model.closeThread, "the model was closed on another thread than it ran on");
        assertEquals(List.of(0), s.model.fed, "the waiting keyframe ran after close");
        NetworkStats stats = runner.networkStats(s.network.id);
        assertEquals(1, stats.dropped, stats.toString());
        assertEquals(1, stats.completed, stats.toString());
        assertThrows(IllegalStateException.class, () -> s.run(runner, 2));
    }

    /** A model call that throws on its thread fails the next frame with the node's name, not silently. */
    @Test
    void aFailingNetworkCallFailsTheNextFrame() throws Exception {
        failingCallFailsTheNextFrame(new RuntimeException("interpreter failed"));
    }

    /** So does an Error (out of memory in the interpreter): the thread must not die without a word. */
    @Test
    void anErrorInANetworkCallFailsTheNextFrame() throws Exception {
        failingCallFailsTheNextFrame(new OutOfMemoryError("tensor arena"));
    }

    static void failingCallFailsTheNextFrame(Throwable thrown) throws Exception {
        Setup s = new Setup(PIPELINE, Map.of());
        s.model.held = false;
        s.model.fail = thrown;
        GraphRunner runner = s.runner(GraphRunner.Schedule.REALTIME);
        s.run(runner, 0);
        assertTrue(s.model.entered.tryAcquire(WAIT_S, TimeUnit.SECONDS), "keyframe 0 never reached the network");
        assertTrue(runner.awaitNetworkIdle(WAIT_S * 1000), "the failed call left the network busy");
        for (int f = 1; f <= 2; f++) { // every later frame fails, none is silently accepted
            final int frame = f;
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.run(runner, frame));
            assertTrue(e.getMessage().contains("network node '" + s.network.id + "' failed"), e.getMessage());
            assertTrue(e.getMessage().contains(thrown.getMessage()), e.getMessage());
            assertSame(thrown, e.getCause());
        }
        runner.close();
        assertSame(s.model.runThread, s.model.closeThread, "the model was not closed on its thread after the failure");
        assertFalse(s.model.runThread.isAlive());
    }

    /**
     * A model runtime that cannot be created (an Error: LiteRT's native library missing) fails
     * the runner's constructor at once, naming the node, instead of waiting for the thread forever.
     */
    @Test
    void aModelRuntimeThatThrowsAnErrorFailsTheConstructor() throws Exception {
        Setup s = new Setup(PIPELINE, Map.of());
        ModelRunner.Factory missing = (m, spec, threads, delegate) -> {
            throw new UnsatisfiedLinkError("no libtensorflowlite_jni");
        };
        BundleException e = assertTimeoutPreemptively(Duration.ofSeconds(WAIT_S),
                () -> assertThrows(BundleException.class,
                        () -> s.runner(GraphRunner.Schedule.REALTIME, missing, params -> s.recordedFlow())),
                "the constructor waited for a network thread that had died");
        assertTrue(e.getMessage().contains("node '" + s.network.id + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("no libtensorflowlite_jni"), e.getMessage());
        assertTrue(e.getCause() instanceof UnsatisfiedLinkError, String.valueOf(e.getCause()));
    }

    /**
     * An operator created after the network thread started that fails with something other than a
     * BundleException (here an Error from the flow estimator, a second flow node last in order)
     * still closes what was built: the network thread closes its model on its own thread and ends.
     */
    @Test
    void aFailureAfterTheNetworkThreadStartedClosesIt() throws Exception {
        Setup s = new Setup(PIPELINE, Map.of(), graph -> {
            JSONArray nodes = graph.getJSONArray("nodes");
            for (int i = 0; i < nodes.length(); i++) {
                if (nodes.getJSONObject(i).getString("op").equals("optical_flow")) {
                    JSONObject second = new JSONObject(nodes.getJSONObject(i).toString());
                    second.put("id", "flow_last");
                    second.getJSONObject("params").put("width", 64);
                    nodes.put(second);
                    graph.getJSONArray("order").put("flow_last");
                    return;
                }
            }
        });
        assertEquals("flow_last", s.bundle.nodes.get(s.bundle.nodes.size() - 1).id);
        OpticalFlow.Factory flows = params -> {
            if (params.optInt("width") == 64) {
                throw new UnsatisfiedLinkError("no opencv_java4");
            }
            return s.recordedFlow();
        };
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class,
                () -> s.runner(GraphRunner.Schedule.REALTIME, (m, spec, threads, delegate) -> s.model, flows));
        assertEquals("no opencv_java4", e.getMessage());
        Thread network = s.model.closeThread;
        assertNotNull(network, "the network's model was never closed: its thread outlives the failed constructor");
        assertNotSame(Thread.currentThread(), network, "the model was closed on the frame path");
        assertFalse(network.isAlive(), "the network thread still runs after the failed constructor");
    }

    /**
     * A result that arrives on a frame its consumer is skipped on (no flow on frame 2: late_result
     * is not called) is not lost: it is delivered on the next frame the consumer runs (3), with its
     * own frame's age, and counted delivered only then (the host's peek and commit).
     */
    @Test
    void aResultArrivingOnAFrameThatSkipsItsConsumerWaitsForTheNext() throws Exception {
        Setup s = new Setup(PIPELINE, Map.of("interval", 1));
        byte[] answer = s.richestOutput();
        s.model.outputs.clear();
        s.model.fallback = answer;
        String late = s.nodeOf("late_result");
        OpticalFlow recorded = s.recordedFlow();
        OpticalFlow.Factory noFlowOnFrame2 = params -> (cur, prev, info) -> info.index == 2 ? null
                : recorded.compute(cur, prev, info);
        GraphRunner runner = s.runner(GraphRunner.Schedule.REALTIME, (m, spec, threads, delegate) -> s.model,
                noFlowOnFrame2);
        Map<String, Object> values0 = s.run(runner, 0);
        assertTrue(s.model.entered.tryAcquire(WAIT_S, TimeUnit.SECONDS));
        s.model.go.release();
        assertTrue(runner.awaitNetworkIdle(WAIT_S * 1000));
        Map<String, Object> values1 = s.run(runner, 1); // frame 0's result, 1 frame late; frame 1's keyframe starts
        NetworkStats stats = runner.networkStats(s.network.id);
        assertEquals(1, stats.delivered, stats.toString());
        assertEquals(0, stats.lastOrigin, stats.toString());
        assertTrue(s.model.entered.tryAcquire(WAIT_S, TimeUnit.SECONDS));
        assertEquals(1, s.model.lastFrame);
        s.model.go.release();
        assertTrue(runner.awaitNetworkIdle(WAIT_S * 1000)); // frame 1's result waits in the slot

        List<Map<String, Object>> seen = new ArrayList<>(); // the frames late_result is called on: 0, 1, 3
        seen.add(values0);
        seen.add(values1);
        Map<String, Object> values = s.run(runner, 2);
        assertSame(Skipped.SKIPPED, values.get(late + ".labels"), "late_result ran on a frame without flow");
        stats = runner.networkStats(s.network.id);
        assertEquals(1, stats.delivered, "frame 1's result counted delivered on a frame that skipped its consumer: "
                + stats);
        assertEquals(2, stats.completed, stats.toString());
        assertEquals(0, stats.superseded, stats.toString());

        values = s.run(runner, 3);
        seen.add(values);
        stats = runner.networkStats(s.network.id);
        assertEquals(2, stats.delivered, stats.toString());
        assertEquals(1, stats.lastOrigin, "frame 1's result is delivered on frame 3: " + stats);
        assertEquals(2, stats.lastDelayFrames, stats.toString());
        // what late_result must show: frame 1's labels carried by the flows it was called with since (1 and 3)
        LabelMap expected = lateReference(s, seen, List.of(0, 1, 3), s.decode(answer), Map.of(1, 1, 3, 2));
        Object shown = values.get(late + ".labels");
        assertTrue(shown instanceof LabelMap, "frame 1's result was lost: late_result shows " + shown);
        assertArrayEquals(expected.labels, ((LabelMap) shown).labels, "frame 1's result carried to frame 3");

        s.model.held = false;
        s.model.go.release(); // frame 3's keyframe
        runner.close();
        assertFalse(s.model.runThread.isAlive());
    }

    /**
     * Only a network whose outputs all leave through delayed edges goes on its own thread: the
     * synchronous keyframe pipeline (its warp and gate read the network's labels on the frame path)
     * runs it inline even in the realtime schedule, and the fixed-delay schedule never uses a thread.
     */
    @Test
    void aSynchronousNetworkStaysOnTheFramePath() throws Exception {
        Setup sync = new Setup("deeplab_keyframe", Map.of());
        sync.model.held = false;
        GraphRunner runner = sync.runner(GraphRunner.Schedule.REALTIME);
        assertEquals(Set.of(), runner.asynchronousNodes());
        for (int f = 0; f < 3; f++) {
            compareWithHost(sync, runner, sync.run(runner, f), f);
        }
        assertSame(Thread.currentThread(), sync.model.runThread);
        runner.close();

        Setup async = new Setup(PIPELINE, Map.of());
        async.model.held = false;
        GraphRunner fixed = async.runner(GraphRunner.Schedule.FIXED_DELAY);
        assertEquals(Set.of(), fixed.asynchronousNodes());
        assertEquals(Set.of(async.network.id), GraphRunner.asynchronousNetworks(async.bundle));
        async.run(fixed, 0);
        assertSame(Thread.currentThread(), async.model.runThread);
        fixed.close();
    }
}
