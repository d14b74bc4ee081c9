package org.jejunet.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scheduler, as on the host: frame by frame, nodes in order. A node whose input carries
 * SKIPPED is not called (unless it accepts the marker) and its outputs carry SKIPPED; feedback
 * edges read the value their source produced on the previous frame (SKIPPED on the first), a
 * delayed edge the value of `delay` frames before (SKIPPED until then).
 */
public final class GraphRunner {
    private final Bundle bundle;
    private final NodeSpec source;
    private final List<NodeSpec> nodes = new ArrayList<NodeSpec>();
    private final Map<String, Operator> ops = new HashMap<String, Operator>();
    /** The most recent values of every port a feedback or delayed edge reads, newest first. */
    private final Map<String, java.util.LinkedList<Object>> recent = new HashMap<String, java.util.LinkedList<Object>>();
    private int longestDelay;
    private final int stride;
    private int offered;

    public GraphRunner(Bundle bundle, Environment env) throws BundleException {
        this.bundle = bundle;
        this.source = bundle.nodes.get(0);
        this.stride = Math.max(1, source.params.optInt("stride", 1));
        try {
            for (NodeSpec node : bundle.nodes.subList(1, bundle.nodes.size())) {
                ops.put(node.id, Operators.create(node, bundle, env));
                nodes.add(node);
                for (NodeSpec.Edge edge : node.inputs) {
                    longestDelay = Math.max(longestDelay, edge.delay);
                }
            }
        } catch (BundleException e) {
            close();
            throw e;
        }
    }

    public Bundle bundle() {
        return bundle;
    }

    /** The operator of a node (for views that read state, such as the legend's classes). */
    public Operator operator(String nodeId) {
        return ops.get(nodeId);
    }

    /**
     * Runs the graph on one camera frame; returns every value by "node.port", or null when the
     * source's stride drops the frame.
     */
    public Map<String, Object> runFrame(FrameInfo info, Image frame) {
        if (offered++ % stride != 0) {
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<String, Object>();
        values.put(source.id + "." + source.outputs.keySet().iterator().next(), frame);
        for (NodeSpec node : nodes) {
            Operator op = ops.get(node.id);
            Map<String, Object> inputs = new HashMap<String, Object>();
            boolean skipped = false;
            for (NodeSpec.Edge edge : node.inputs) {
                String key = edge.node + "." + edge.sourcePort;
                Object value = edge.previous ? earlier(key, edge.delay) : values.get(key);
                if (value == null) {
                    value = Skipped.SKIPPED;
                }
                skipped |= value == Skipped.SKIPPED && !op.acceptsSkipped(edge.port);
                inputs.put(edge.port, value);
            }
            if (skipped) {
                for (String port : node.outputs.keySet()) {
                    values.put(node.id + "." + port, Skipped.SKIPPED);
                }
                continue;
            }
            Map<String, Object> outputs = op.process(info, inputs);
            for (Map.Entry<String, Object> entry : outputs.entrySet()) {
                values.put(node.id + "." + entry.getKey(), entry.getValue());
            }
        }
        java.util.Set<String> read = new java.util.LinkedHashSet<String>();
        for (NodeSpec node : nodes) {
            for (NodeSpec.Edge edge : node.inputs) {
                if (edge.previous) {
                    read.add(edge.node + "." + edge.sourcePort);
                }
            }
        }
        for (String key : read) {
            remember(key, values);
        }
        return values;
    }

    /** The value `delay` frames back (SKIPPED before there was one). */
    private Object earlier(String key, int delay) {
        java.util.LinkedList<Object> past = recent.get(key);
        return past == null || past.size() < delay ? null : past.get(delay - 1);
    }

    private void remember(String key, Map<String, Object> values) {
        java.util.LinkedList<Object> past = recent.get(key);
        if (past == null) {
            past = new java.util.LinkedList<Object>();
            recent.put(key, past);
        }
        Object value = values.get(key);
        past.addFirst(value == null ? Skipped.SKIPPED : value);
        while (past.size() > longestDelay) {
            past.removeLast();
        }
    }

    /** End of stream: every operator releases what it holds. */
    public void close() {
        for (Operator op : ops.values()) {
            try {
                op.close();
            } catch (RuntimeException e) {
                // closing must reach every operator
            }
        }
    }
}
