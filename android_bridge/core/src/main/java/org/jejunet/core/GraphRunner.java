package org.jejunet.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scheduler, as on the host: frame by frame, nodes in order. A node whose input carries
 * SKIPPED is not called (unless it accepts the marker) and its outputs carry SKIPPED; feedback
 * edges read the value their source produced on the previous frame (SKIPPED on the first), a
 * delayed edge the value of `delay` frames before (SKIPPED until then).
 *
 * <p>Two schedules. {@link Schedule#FIXED_DELAY} (the default; the host's offline runs, the
 * parity tests) runs everything on the calling thread and a delayed edge delivers exactly
 * `delay` frames late. {@link Schedule#REALTIME} (the app) runs each network node whose outputs
 * leave only through delayed edges on a thread of its own ({@link NetworkWorker}): the frame path
 * hands it the keyframe and goes on, and the result is delivered on the first frame after it
 * finished on which a consumer of it is called (a frame that skips the consumer keeps it for the
 * next, as the host's peek and commit). Either way, the consumer of a delayed edge also reads
 * `port + AGE`: how many frames ago the delivered value's frame was (`late_result` composes that
 * many flows).
 */
public final class GraphRunner {
    /** When delayed values arrive. */
    public enum Schedule {
        /** `delay` frames late, the network inline: deterministic, as the host's offline runs. */
        FIXED_DELAY,
        /** As soon as the network's own thread finishes: the frame path never waits for it. */
        REALTIME
    }

    /** Suffix of the input key that carries a delayed value's age in frames (e.g. "labels@age"). */
    public static final String AGE = "@age";

    private final Bundle bundle;
    private final Schedule schedule;
    private final NodeSpec source;
    private final List<NodeSpec> nodes = new ArrayList<NodeSpec>();
    private final Map<String, Operator> ops = new HashMap<String, Operator>();
    private final Map<String, NetworkWorker> workers = new LinkedHashMap<String, NetworkWorker>();
    /** The most recent values of every port a feedback or delayed edge reads, newest first. */
    private final Map<String, LinkedList<Object>> recent = new HashMap<String, LinkedList<Object>>();
    /** Ports read through feedback or delayed edges from the calling thread's history. */
    private final Set<String> remembered = new LinkedHashSet<String>();
    private int longestDelay;
    private final int stride;
    private int offered;
    private int frames;
    private boolean closed;

    /** The deterministic schedule (fixed delays, one thread). */
    public GraphRunner(Bundle bundle, Environment env) throws BundleException {
        this(bundle, env, Schedule.FIXED_DELAY);
    }

    public GraphRunner(final Bundle bundle, final Environment env, Schedule schedule) throws BundleException {
        this.bundle = bundle;
        this.schedule = schedule;
        this.source = bundle.nodes.get(0);
        this.stride = Math.max(1, source.params.optInt("stride", 1));
        Set<String> late = schedule == Schedule.REALTIME ? asynchronousNetworks(bundle) : Collections.<String>emptySet();
        boolean built = false;
        try {
            for (final NodeSpec node : bundle.nodes.subList(1, bundle.nodes.size())) {
                nodes.add(node);
                if (late.contains(node.id)) {
                    workers.put(node.id, new NetworkWorker(node.id, new NetworkWorker.OperatorFactory() {
                        @Override
                        public Operator create() throws BundleException {
                            return Operators.create(node, bundle, env);
                        }
                    }));
                } else {
                    ops.put(node.id, Operators.create(node, bundle, env));
                }
                for (NodeSpec.Edge edge : node.inputs) {
                    longestDelay = Math.max(longestDelay, edge.delay);
                    if (edge.previous && !late.contains(edge.node)) {
                        remembered.add(edge.node + "." + edge.sourcePort);
                    }
                }
            }
            built = true;
        } finally {
            if (!built) { // whatever failed (an Error too): no network thread or operator outlives it
                close();
            }
        }
    }

    /**
     * Network nodes (those with a model) whose every consumer reads them through a delayed edge
     * (delay above 1): nothing on the frame path waits for them, so they can run on their own thread.
     */
    public static Set<String> asynchronousNetworks(Bundle bundle) {
        Map<String, Boolean> onlyDelayed = new LinkedHashMap<String, Boolean>();
        for (NodeSpec node : bundle.nodes) {
            if (node.model != null) {
                onlyDelayed.put(node.id, Boolean.FALSE);
            }
        }
        Set<String> direct = new LinkedHashSet<String>();
        for (NodeSpec node : bundle.nodes) {
            for (NodeSpec.Edge edge : node.inputs) {
                if (!onlyDelayed.containsKey(edge.node)) {
                    continue;
                }
                if (edge.delay > 1) {
                    onlyDelayed.put(edge.node, Boolean.TRUE);
                } else {
                    direct.add(edge.node);
                }
            }
        }
        Set<String> out = new LinkedHashSet<String>();
        for (Map.Entry<String, Boolean> entry : onlyDelayed.entrySet()) {
            if (entry.getValue() && !direct.contains(entry.getKey())) {
                out.add(entry.getKey());
            }
        }
        return out;
    }

    public Bundle bundle() {
        return bundle;
    }

    public Schedule schedule() {
        return schedule;
    }

    /** The network nodes that run on their own thread (empty in the fixed-delay schedule). */
    public Set<String> asynchronousNodes() {
        return Collections.unmodifiableSet(workers.keySet());
    }

    /** What a network thread did so far, or null if the node does not run on one. */
    public NetworkStats networkStats(String nodeId) {
        NetworkWorker worker = workers.get(nodeId);
        return worker == null ? null : worker.stats();
    }

    /** Waits until every network thread is idle (true) or the timeout passes (false): tests, end of a clip. */
    public boolean awaitNetworkIdle(long timeoutMs) throws InterruptedException {
        long end = System.nanoTime() + timeoutMs * 1000000L;
        for (NetworkWorker worker : workers.values()) {
            if (!worker.awaitIdle(Math.max(0, (end - System.nanoTime()) / 1000000L))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The operator of a node (for views that read state, such as the legend's classes); null for a
     * network node that runs on its own thread (its operator belongs to that thread).
     */
    public Operator operator(String nodeId) {
        return ops.get(nodeId);
    }

    /**
     * Runs the graph on one camera frame; returns every value by "node.port", or null when the
     * source's stride drops the frame. In the realtime schedule a network node's outputs carry
     * SKIPPED on the frame path (its result arrives later, through the delayed edge).
     */
    public synchronized Map<String, Object> runFrame(FrameInfo info, Image frame) {
        if (closed) {
            throw new IllegalStateException("the graph runner is closed");
        }
        if (offered++ % stride != 0) {
            return null;
        }
        int now = frames++;
        // results finished so far: committed only when a consumer is called with them on this frame
        Map<String, NetworkWorker.Result> arrived = new HashMap<String, NetworkWorker.Result>();
        for (NetworkWorker worker : workers.values()) {
            NetworkWorker.Result result = worker.peek();
            if (result != null) {
                arrived.put(worker.node, result);
            }
        }
        Set<String> committed = new HashSet<String>();
        Map<String, Object> values = new LinkedHashMap<String, Object>();
        values.put(source.id + "." + source.outputs.keySet().iterator().next(), frame);
        for (NodeSpec node : nodes) {
            Map<String, Object> inputs = new HashMap<String, Object>();
            boolean skipped = gather(node, values, arrived, now, inputs);
            NetworkWorker worker = workers.get(node.id);
            if (skipped || worker != null) {
                if (!skipped) {
                    commitArrived(node, arrived, committed, now);
                    worker.submit(now, info, inputs);
                }
                for (String port : node.outputs.keySet()) {
                    values.put(node.id + "." + port, Skipped.SKIPPED);
                }
                continue;
            }
            commitArrived(node, arrived, committed, now);
            Map<String, Object> outputs = ops.get(node.id).process(info, inputs);
            for (Map.Entry<String, Object> entry : outputs.entrySet()) {
                values.put(node.id + "." + entry.getKey(), entry.getValue());
            }
        }
        for (String key : remembered) {
            remember(key, values);
        }
        return values;
    }

    /** Fills a node's inputs; true when one carries SKIPPED that the node does not accept. */
    private boolean gather(NodeSpec node, Map<String, Object> values, Map<String, NetworkWorker.Result> arrived,
            int now, Map<String, Object> inputs) {
        Operator op = ops.get(node.id);
        boolean skipped = false;
        for (NodeSpec.Edge edge : node.inputs) {
            String key = edge.node + "." + edge.sourcePort;
            Object value;
            int age = edge.delay;
            if (workers.containsKey(edge.node)) {
                NetworkWorker.Result result = arrived.get(edge.node);
                value = result == null ? null : result.outputs.get(edge.sourcePort);
                age = result == null ? 0 : now - result.origin;
            } else {
                value = edge.previous ? earlier(key, edge.delay) : values.get(key);
            }
            if (value == null) {
                value = Skipped.SKIPPED;
            }
            if (edge.delay > 1 && value != Skipped.SKIPPED) {
                inputs.put(edge.port + AGE, Integer.valueOf(age));
            }
            skipped |= value == Skipped.SKIPPED && (op == null || !op.acceptsSkipped(edge.port));
            inputs.put(edge.port, value);
        }
        return skipped;
    }

    /**
     * `node` is called on frame `now`: the network results it reads are delivered (each once a
     * frame; every consumer called on this frame reads it).
     */
    private void commitArrived(NodeSpec node, Map<String, NetworkWorker.Result> arrived, Set<String> committed,
            int now) {
        for (NodeSpec.Edge edge : node.inputs) {
            NetworkWorker.Result result = arrived.get(edge.node);
            if (result != null && committed.add(edge.node)) {
                workers.get(edge.node).commit(result, now);
            }
        }
    }

    /** The value `delay` frames back (SKIPPED before there was one). */
    private Object earlier(String key, int delay) {
        LinkedList<Object> past = recent.get(key);
        return past == null || past.size() < delay ? null : past.get(delay - 1);
    }

    private void remember(String key, Map<String, Object> values) {
        LinkedList<Object> past = recent.get(key);
        if (past == null) {
            past = new LinkedList<Object>();
            recent.put(key, past);
        }
        Object value = values.get(key);
        past.addFirst(value == null ? Skipped.SKIPPED : value);
        while (past.size() > longestDelay) {
            past.removeLast();
        }
    }

    /**
     * End of stream: every network thread finishes its running call (a waiting keyframe is
     * dropped), closes its operator on its own thread and is joined; then every other operator
     * releases what it holds. Waits for a frame in progress on another thread.
     */
    public synchronized void close() {
        closed = true;
        for (NetworkWorker worker : workers.values()) {
            worker.close();
        }
        for (Operator op : ops.values()) {
            try {
                op.close();
            } catch (RuntimeException e) {
                // closing must reach every operator
            }
        }
    }
}
